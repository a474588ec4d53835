'use strict';
// tf_fmt.js DIR: formats every *.tf under DIR with HashiCorp's HCL formatter (the code behind
// `terraform fmt`, compiled to wasm in npm @cdktf/hcl-tools) and reports files whose bytes differ.
// Last line: "N files, N errors"; exit 0 = all canonical, 1 = differences, 2 = usage/setup.
const fs = require('fs');
const path = require('path');
let format;
try {
  ({ format } = require(path.join(process.env.NPM_DIR, 'node_modules', '@cdktf', 'hcl-tools')));
} catch (e) {
  console.error('error: @cdktf/hcl-tools not installed - run setup.sh');
  console.log('0 files, 1 errors');
  process.exit(2);
}
const SKIP = new Set(['.git', '.terraform', 'node_modules']);
function walk(dir, out) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile() && e.name.endsWith('.tf')) out.push(p);
  }
  return out;
}
function firstDiff(a, b) {
  const la = a.split('\n'), lb = b.split('\n');
  for (let i = 0; i < Math.max(la.length, lb.length); i++) {
    if (la[i] !== lb[i]) return `line ${i + 1}: have ${JSON.stringify(la[i])}, terraform fmt gives ${JSON.stringify(lb[i])}`;
  }
  return '';
}
(async () => {
  const dir = process.argv[2];
  if (!dir || !fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    console.error('usage: fmt.sh DIR');
    console.log('0 files, 1 errors');
    process.exit(2);
  }
  const files = walk(dir, []).sort();
  let errors = 0;
  for (const f of files) {
    const src = fs.readFileSync(f, 'utf8');
    let out;
    try {
      out = await format(src);
    } catch (e) {
      errors++;
      console.log(`ERROR ${path.relative(dir, f)}: formatter rejected it: ${String(e).split('\n')[0]}`);
      continue;
    }
    if (out !== src) {
      errors++;
      console.log(`ERROR ${path.relative(dir, f)}: not in terraform fmt layout (${firstDiff(src, out)})`);
    } else {
      console.log(`ok ${path.relative(dir, f)}`);
    }
  }
  console.log(`${files.length} files, ${errors} errors`);
  process.exit(errors ? 1 : 0);
})();
