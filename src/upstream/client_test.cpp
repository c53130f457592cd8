#include "upstream/client.hpp"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace baton {
namespace {

UpstreamOrigin Origin(std::string_view url) {
  auto r = ParseOrigin(url);
  if (!r.ok()) {
    ADD_FAILURE() << "rejected " << url << ": " << r.error().message;
    return {};
  }
  return r.value();
}

void ExpectRejected(std::string_view url) {
  auto r = ParseOrigin(url);
  EXPECT_FALSE(r.ok()) << url << " was accepted";
  if (!r.ok()) {
    EXPECT_EQ(r.error().kind, ErrorKind::kBadRequest) << url;
    EXPECT_FALSE(r.error().message.empty()) << url;
  }
}

// --- ParseOrigin -------------------------------------------------------------------------------

TEST(ParseOriginTest, HttpsDefaultPort) {
  UpstreamOrigin o = Origin("https://api.openai.com/v1");
  EXPECT_TRUE(o.tls);
  EXPECT_EQ(o.host, "api.openai.com");
  EXPECT_EQ(o.port, 443);
  EXPECT_EQ(o.base_path, "/v1");
  EXPECT_EQ(o.ca_file, "");
}

TEST(ParseOriginTest, HttpDefaultPort) {
  UpstreamOrigin o = Origin("http://localhost");
  EXPECT_FALSE(o.tls);
  EXPECT_EQ(o.host, "localhost");
  EXPECT_EQ(o.port, 80);
  EXPECT_EQ(o.base_path, "");
}

TEST(ParseOriginTest, ExplicitPort) {
  UpstreamOrigin o = Origin("http://127.0.0.1:11434/v1");
  EXPECT_FALSE(o.tls);
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 11434);
  EXPECT_EQ(o.base_path, "/v1");
  UpstreamOrigin s = Origin("https://example.com:8443");
  EXPECT_TRUE(s.tls);
  EXPECT_EQ(s.port, 8443);
  UpstreamOrigin odd = Origin("https://example.com:80/");
  EXPECT_TRUE(odd.tls);
  EXPECT_EQ(odd.port, 80);
  EXPECT_EQ(odd.base_path, "");
}

TEST(ParseOriginTest, TrailingSlashesTrimmed) {
  EXPECT_EQ(Origin("https://h/v1/").base_path, "/v1");
  EXPECT_EQ(Origin("https://h/v1///").base_path, "/v1");
  EXPECT_EQ(Origin("https://h/").base_path, "");
  EXPECT_EQ(Origin("https://h//").base_path, "");
  EXPECT_EQ(Origin("https://h/openai/deployments/x/").base_path, "/openai/deployments/x");
  EXPECT_EQ(Origin("https://h:8080/api/v1/").base_path, "/api/v1");
}

TEST(ParseOriginTest, Ipv6Literal) {
  UpstreamOrigin o = Origin("http://[::1]:9001/v1");
  EXPECT_FALSE(o.tls);
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 9001);
  EXPECT_EQ(o.base_path, "/v1");
  UpstreamOrigin d = Origin("https://[2001:db8::5]");
  EXPECT_EQ(d.host, "2001:db8::5");
  EXPECT_EQ(d.port, 443);
}

TEST(ParseOriginTest, BadSchemes) {
  ExpectRejected("ftp://example.com/v1");
  ExpectRejected("ws://example.com");
  ExpectRejected("file:///etc/passwd");
  ExpectRejected("unix:/var/run/x.sock");
  ExpectRejected("httpx://example.com");
}

TEST(ParseOriginTest, NotAUrl) {
  ExpectRejected("");
  ExpectRejected("api.openai.com/v1");
  ExpectRejected("//api.openai.com/v1");
  ExpectRejected("https://exa mple.com");
}

TEST(ParseOriginTest, NoHost) {
  ExpectRejected("http://");
  ExpectRejected("https:///v1");
  ExpectRejected("http://:8080/v1");
  ExpectRejected("https:/v1");
}

TEST(ParseOriginTest, PortOutOfRangeIsRejected) {
  ExpectRejected("http://h:65536");
  ExpectRejected("http://h:99999/v1");
  auto empty_port = ParseOrigin("http://h:/v1");
  if (empty_port.ok()) {
    EXPECT_EQ(empty_port->port, 80);
  }
}

TEST(ParseOriginTest, SchemeIsCaseInsensitive) {
  UpstreamOrigin o = Origin("HTTPS://api.example.com/v1");
  EXPECT_TRUE(o.tls);
  EXPECT_EQ(o.host, "api.example.com");
  EXPECT_EQ(o.port, 443);
  EXPECT_EQ(o.base_path, "/v1");
  UpstreamOrigin h = Origin("Http://localhost:8080");
  EXPECT_FALSE(h.tls);
  EXPECT_EQ(h.port, 8080);
}

// --- ProxySettings::ProxyFor -------------------------------------------------------------------

UpstreamOrigin At(std::string host, bool tls = true, uint16_t port = 0) {
  UpstreamOrigin o;
  o.tls = tls;
  o.host = std::move(host);
  o.port = port != 0 ? port : (tls ? 443 : 80);
  return o;
}

constexpr const char* kHttpsProxy = "http://proxy.internal:3128";
constexpr const char* kHttpProxy = "http://user:pw@plain-proxy:8080";

ProxySettings Proxies(std::string no_proxy) {
  ProxySettings p;
  p.https_proxy = kHttpsProxy;
  p.http_proxy = kHttpProxy;
  p.no_proxy = std::move(no_proxy);
  return p;
}

TEST(ProxyForTest, NoProxiesConfigured) {
  ProxySettings p;
  EXPECT_EQ(p.ProxyFor(At("api.openai.com", true)), "");
  EXPECT_EQ(p.ProxyFor(At("api.openai.com", false)), "");
}

TEST(ProxyForTest, SchemeSelectsTheProxy) {
  ProxySettings p = Proxies("");
  EXPECT_EQ(p.ProxyFor(At("api.openai.com", true)), kHttpsProxy);
  EXPECT_EQ(p.ProxyFor(At("api.openai.com", false)), kHttpProxy);
}

TEST(ProxyForTest, OnlyHttpsProxySet) {
  ProxySettings p;
  p.https_proxy = kHttpsProxy;
  EXPECT_EQ(p.ProxyFor(At("example.com", true)), kHttpsProxy);
  EXPECT_EQ(p.ProxyFor(At("example.com", false)), "");
}

TEST(ProxyForTest, OnlyHttpProxySet) {
  ProxySettings p;
  p.http_proxy = kHttpProxy;
  EXPECT_EQ(p.ProxyFor(At("example.com", true)), "");
  EXPECT_EQ(p.ProxyFor(At("example.com", false)), kHttpProxy);
}

TEST(ProxyForTest, NoProxyExactHost) {
  ProxySettings p = Proxies("localhost,127.0.0.1,example.com");
  EXPECT_EQ(p.ProxyFor(At("localhost")), "");
  EXPECT_EQ(p.ProxyFor(At("127.0.0.1", false)), "");
  EXPECT_EQ(p.ProxyFor(At("example.com")), "");
  EXPECT_EQ(p.ProxyFor(At("example.org")), kHttpsProxy);
  EXPECT_EQ(p.ProxyFor(At("127.0.0.2", false)), kHttpProxy);
}

TEST(ProxyForTest, NoProxyDomainSuffixWithoutDot) {
  ProxySettings p = Proxies("example.com");
  EXPECT_EQ(p.ProxyFor(At("api.example.com")), "");
  EXPECT_EQ(p.ProxyFor(At("a.b.example.com")), "");
  EXPECT_EQ(p.ProxyFor(At("example.com")), "");
}

TEST(ProxyForTest, NoProxyDomainSuffixWithLeadingDot) {
  ProxySettings p = Proxies(".example.com");
  EXPECT_EQ(p.ProxyFor(At("api.example.com")), "");
  EXPECT_EQ(p.ProxyFor(At("example.com")), "");
  EXPECT_EQ(p.ProxyFor(At("example.com.evil.net")), kHttpsProxy);
}

TEST(ProxyForTest, NoProxyIsNotASubstringMatch) {
  ProxySettings p = Proxies("example.com");
  EXPECT_EQ(p.ProxyFor(At("notexample.com")), kHttpsProxy);
  EXPECT_EQ(p.ProxyFor(At("example.com.au")), kHttpsProxy);
  EXPECT_EQ(p.ProxyFor(At("xample.com")), kHttpsProxy);
  EXPECT_EQ(p.ProxyFor(At("example.co")), kHttpsProxy);
  ProxySettings dotted = Proxies(".example.com");
  EXPECT_EQ(dotted.ProxyFor(At("notexample.com")), kHttpsProxy);
}

TEST(ProxyForTest, NoProxyStar) {
  ProxySettings p = Proxies("*");
  EXPECT_EQ(p.ProxyFor(At("anything.example")), "");
  EXPECT_EQ(p.ProxyFor(At("10.0.0.1", false)), "");
  EXPECT_EQ(Proxies("foo.com, *").ProxyFor(At("bar.org")), "");
}

TEST(ProxyForTest, NoProxyHostPortEntries) {
  ProxySettings p = Proxies("internal.corp:8443,localhost:11434");
  EXPECT_EQ(p.ProxyFor(At("internal.corp", true, 8443)), "");
  EXPECT_EQ(p.ProxyFor(At("internal.corp", true, 443)), kHttpsProxy);
  EXPECT_EQ(p.ProxyFor(At("api.internal.corp", true, 8443)), "");
  EXPECT_EQ(p.ProxyFor(At("localhost", false, 11434)), "");
  EXPECT_EQ(p.ProxyFor(At("localhost", false, 80)), kHttpProxy);
}

TEST(ProxyForTest, NoProxyIsCaseInsensitive) {
  ProxySettings p = Proxies("Example.COM");
  EXPECT_EQ(p.ProxyFor(At("API.example.com")), "");
  EXPECT_EQ(p.ProxyFor(At("EXAMPLE.com")), "");
  EXPECT_EQ(p.ProxyFor(At("notEXAMPLE.com")), kHttpsProxy);
}

TEST(ProxyForTest, NoProxyListSpacingAndEmptyEntries) {
  ProxySettings p = Proxies(" , a.com ,, b.org  ,");
  EXPECT_EQ(p.ProxyFor(At("a.com")), "");
  EXPECT_EQ(p.ProxyFor(At("x.b.org")), "");
  EXPECT_EQ(p.ProxyFor(At("c.net")), kHttpsProxy);
}

TEST(ProxyForTest, NoProxyIpv6Host) {
  ProxySettings p = Proxies("::1");
  EXPECT_EQ(p.ProxyFor(At("::1", false)), "");
  EXPECT_EQ(p.ProxyFor(At("::2", false)), kHttpProxy);
}

}  // namespace
}  // namespace baton
