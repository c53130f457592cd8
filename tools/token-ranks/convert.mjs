// Setup-time converter (scripts/fetch-token-ranks.sh runs it): reads the compressed rank tables
// that the pinned js-tiktoken package ships (ranks/<name>.js: `bpe_ranks` is lines of
// "! <first_rank> <base64 token> <base64 token> ..."), and writes the standard tiktoken text
// format, one "<base64 token bytes> <rank>" per line in rank order, which is byte-identical to
// OpenAI's published <name>.tiktoken files (the caller checks the sha256).
//
// usage: node convert.mjs <out_dir> <encoding>...
import fs from 'node:fs';
import path from 'node:path';

const [outDir, ...names] = process.argv.slice(2);
if (!outDir || names.length === 0) {
  console.error('usage: node convert.mjs <out_dir> <encoding>...');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
for (const name of names) {
  const { default: ranks } = await import(`js-tiktoken/ranks/${name}`);
  const entries = [];
  for (const line of ranks.bpe_ranks.split('\n')) {
    if (!line) continue;
    const [, first, ...tokens] = line.split(' ');
    const base = Number.parseInt(first, 10);
    tokens.forEach((t, i) => entries.push([t, base + i]));
  }
  entries.sort((a, b) => a[1] - b[1]);
  const tmp = path.join(outDir, `.${name}.tiktoken.tmp`);
  fs.writeFileSync(tmp, entries.map(([t, r]) => `${t} ${r}\n`).join(''));
  fs.renameSync(tmp, path.join(outDir, `${name}.tiktoken`));
  console.log(`${name}: ${entries.length} ranks`);
}
