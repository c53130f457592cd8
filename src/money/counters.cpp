#include "money/counters.hpp"

namespace baton {

std::string_view ScopeKind(std::string_view scope_id) {
  return scope_id.substr(0, scope_id.find(':'));
}

}  // namespace baton
