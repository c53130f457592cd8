// Generates tests/fixtures/tokens/expected.json: reference token ids from js-tiktoken (the pinned
// package in this folder) for a fixed set of strings, for o200k_base and cl100k_base. The C++
// tests (src/dialects/tokens/bpe_test.cpp) compare every case. Special tokens are encoded as
// plain text (disallowedSpecial = []), which is what Baton's counter does.
//
// Avoided on purpose: U+0085 and U+FEFF (JavaScript's \s differs from Unicode White_Space there)
// and lone surrogates (not valid UTF-8).
//
// usage: node tools/token-ranks/gen-expected.mjs > tests/fixtures/tokens/expected.json
import { Tiktoken } from 'js-tiktoken/lite';
import o200k from 'js-tiktoken/ranks/o200k_base';
import cl100k from 'js-tiktoken/ranks/cl100k_base';

const cases = [
  '', 'hello world', 'Hello world', 'hello <|endoftext|>', '<|endoftext|>', '<|endofprompt|> x',
  ' ', '  ', '   ', '\n', '\n\n', '\r\n', '\r\n\r\n', '\t', '\t\t\tx', '  \n  x', 'a  b', 'a   b',
  'a \n b', 'x   ', 'end with spaces   ', '   leading', '\n\n\nthree newlines', ' \r\n \r\n x',
  "I'm", "they'll", "we've", "you're", "she'd", "it's", "DON'T", "I'M", "They'LL", "'s", "'S", "'ll",
  "rock'n'roll", "o'clock", "Jones's", "don't'", "HELLO'S", "CamelCase", "camelCaseWord", "XMLHttpRequest",
  'HTTPServer', 'iPhone', 'ABC', 'Abc', 'aBC', 'a1b2c3', '1234567', '12345678901234567890', '3.14159',
  '1,000,000', '-42', '+1-555-0100', '2024-05-01T12:34:56Z', '0x7fffffff', '1e-9', '١٢٣٤٥', '½ ¾ ²',
  'The quick brown fox jumps over the lazy dog.',
  'The Quick Brown Fox Jumps Over The Lazy Dog!',
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.',
  'def foo(x):\n    return x * 2\n',
  'int main(int argc, char** argv) {\n  printf("%d\\n", argc);\n  return 0;\n}\n',
  'for (let i = 0; i < n; ++i) { sum += a[i]; }',
  '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}',
  '<html><body><p class="x">Hi &amp; bye</p></body></html>',
  'SELECT * FROM users WHERE id = 42 AND name LIKE \'%bob%\';',
  'https://example.com/path/to/page?query=1&x=y#frag',
  'path/to/file.txt', 'a/b/c//d///', 'C:\\Windows\\System32', '// comment\n/* block */\n',
  '#!/bin/bash\necho "$HOME" | grep -v foo >/dev/null 2>&1\n',
  '```python\nprint("hi")\n```', '- item one\n- item two\n  - nested\n', '| a | b |\n|---|---|\n| 1 | 2 |',
  '...', '!!!', '???!!!', '---', '===', '***bold***', '__init__', '$$$', '@@ -1,3 +1,4 @@', '->', '=>', '::',
  '你好，世界', '我爱北京天安门。', '日本語のテキストです。カタカナとひらがな。', '한국어 텍스트입니다',
  'Привет, мир!', 'Ελληνικά γράμματα', 'مرحبا بالعالم', 'שלום עולם', 'हिन्दी भाषा', 'ภาษาไทย',
  'Tiếng Việt có dấu', 'Ünïcödé façade naïve café résumé', 'Straße groß ÄÖÜ', 'ǅungla ǈ ǋ',
  'ʰʲʷ modifier ˈstress', 'e\u0301 combining acute', 'a\u0300\u0301\u0302 stacked', '\u0301 leading mark',
  'x\u0301\u0301y', 'ॐ नमः शिवाय', 'ℕ ℤ ℚ ℝ ℂ', '∑∫∂√∞≈≠≤≥', '→ ← ↑ ↓', '€100 £50 ¥1000 ₹20',
  '😀', '😀😃😄😁', '👨‍👩‍👧‍👦 family', '🇺🇸🇫🇷', '👍🏽 ok', 'I ❤️ NY', 'emoji 🎉 in 🎊 text 🥳',
  'mixed English和中文text混合', 'Hello世界123abc', 'ΑΒΓ abc АБВ', 'naïve—dash–dash', '“quotes” ‘single’',
  '\u00a0nbsp\u00a0here', 'ideographic\u3000space', 'thin\u2009space', 'line\u2028sep', 'em\u2003space',
  'tab\tseparated\tvalues', 'trailing newline\n', 'crlf\r\nline\r\n', 'only\rcr', '\n \n \n',
  ' \t \n', 'x \n\n y', 'a\n\n\n\n\nb', '     \n', 'word\n    indented', '\n\tdef f():\n\t\tpass',
  'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  ' '.repeat(200), '\n'.repeat(50), 'ab'.repeat(300), '1'.repeat(100), '!'.repeat(99), '.'.repeat(64),
  'Pneumonoultramicroscopicsilicovolcanoconiosis', 'supercalifragilisticexpialidocious',
  'antidisestablishmentarianism'.repeat(5), '🙂'.repeat(30), '中'.repeat(40),
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'The year 1999 and 2024; version 3.11.4 released on 12/31.',
  "It's a dog's life, isn't it? We'd've known.", 'A. B. C.', 'U.S.A.', 'e.g. i.e. etc.',
  'Hello, World! How are you today? I\'m fine, thanks.',
  'tokenization is the process of splitting text into tokens',
  '   spaces   between   words   ', 'MiXeD cAsE wOrDs', 'snake_case_identifier', 'kebab-case-name',
  'email@example.com', '@user #hashtag', '<|fim_prefix|>code<|fim_suffix|>', '<|im_start|>user\nhi<|im_end|>',
  '\\n literal backslash n', 'quote "inside" text', "apostrophe ' alone", "' s", "''s", "x's'", "'''",
];

// Deterministic random strings over an alphabet of characters that exercise every branch of the
// pre-tokenizer patterns.
const alphabet = [
  'a', 'b', 'Z', 'Q', 'é', 'ß', 'Ж', 'ж', 'ǅ', 'ʰ', 'あ', '中', '\u0301', '\u0308', '0', '7', '٣', '½',
  ' ', ' ', ' ', '\t', '\n', '\r', '\u00a0', '\u3000', "'", "'", 's', 't', 'l', 'L', 'v', 'e', 'r', 'd', 'm', 'D',
  '.', ',', '!', '/', '\\', '-', '_', '(', ')', '"', '😀', '€', '→', '#',
];
let seed = 12345;
function rnd(n) {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return Math.floor((seed / 2147483648) * n);
}
for (let i = 0; i < 80; ++i) {
  const len = 1 + rnd(40);
  let s = '';
  for (let j = 0; j < len; ++j) s += alphabet[rnd(alphabet.length)];
  cases.push(s);
}

// Long single pieces (over 128 bytes: the C++ side merges those with a heap, not the linear loop):
// letters without spaces, runs of spaces, of digits-and-punctuation, of CJK.
const words = ['the', 'Token', 'izer', 'ab', 'xyz', 'Über', 'naïve', 'qu', 'ing', 'ZZ', 'é', 'ë'];
for (let i = 0; i < 12; ++i) {
  let s = '';
  const len = 130 + rnd(400);
  while (s.length < len) s += words[rnd(words.length)];
  cases.push(s);
}
cases.push(' '.repeat(150) + 'x', '\t'.repeat(140), '-=-'.repeat(60), '漢字かな'.repeat(20));

const encs = { o200k_base: new Tiktoken(o200k), cl100k_base: new Tiktoken(cl100k) };
const out = cases.map((text) => {
  const row = { text };
  for (const [name, enc] of Object.entries(encs)) row[name] = enc.encode(text, [], []);
  return row;
});
console.log('[\n' + out.map((r) => JSON.stringify(r)).join(',\n') + '\n]');
