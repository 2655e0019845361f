// Dependency-direction check (`npm run check:deps`, run by CI before the tests).
//
// Rules, over the relative imports of src/ (docs/design.md "Code layout" explains why):
//   http-import  A file in a domain folder (any folder of src/ but http/) imports src/http/ only if it
//                is one of that folder's routes files (routes.ts, or <sub-resource>-routes.ts such as
//                oauth-apps/secret-routes.ts): routes are the HTTP adapter of their domain; everything
//                else in a domain must be usable without Fastify.
//   two-way      No two domain folders import each other. Routes files are the HTTP layer, so
//                their imports do not count here.
// Files at the top of src/ (main.ts, runtime.ts, cli.ts, config.ts, …) are the composition root and
// are not checked.
//
// The violations that existed when the check was introduced are listed in
// scripts/dependency-baseline.txt. It is a ratchet: a violation not in the baseline fails, and a
// baseline line that no longer matches a violation fails too, so a fixed edge is removed from the
// file in the same change. `npm run check:deps -- --write-baseline` rewrites the file from the code;
// adding a line to it is a decision for review, not a way to make CI pass.
import { readdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const BASELINE = join(ROOT, 'scripts', 'dependency-baseline.txt');
const HTTP = 'http';
const ROUTES_FILE = 'routes.ts';

interface Edge {
  from: string; // path under src/, forward slashes
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.c?ts$/.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The file a relative specifier names: './x.js' is './x.ts' in the source tree. */
function resolveImport(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(fromFile), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base.replace(/\.cjs$/, '.cts'), `${base}.ts`, join(base, 'index.ts'), base];
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}

function srcPath(file: string): string {
  return relative(SRC, file).split(sep).join('/');
}

/** The top-level folder of src/ a file is in, or undefined for a file at the top (composition root). */
function folderOf(path: string): string | undefined {
  const slash = path.indexOf('/');
  return slash < 0 ? undefined : path.slice(0, slash);
}

function isRoutes(path: string): boolean {
  return path.endsWith(`/${ROUTES_FILE}`) || path.endsWith(`-${ROUTES_FILE}`);
}

export function importEdges(srcDir: string = SRC): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(srcDir)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const imported of info.importedFiles) {
      const target = resolveImport(file, imported.fileName);
      if (!target || !target.startsWith(srcDir + sep)) continue;
      edges.push({ from: srcPath(file), to: srcPath(target) });
    }
  }
  return edges;
}

/** Every violation as one stable, readable line (the baseline's format). */
export function violations(edges: readonly Edge[]): string[] {
  const found = new Set<string>();
  const folderEdges = new Map<string, Edge[]>(); // "a b" → file edges from folder a to folder b
  for (const edge of edges) {
    const from = folderOf(edge.from);
    const to = folderOf(edge.to);
    if (from === undefined || to === undefined || from === to) continue;
    if (to === HTTP && from !== HTTP && !isRoutes(edge.from)) found.add(`http-import ${edge.from} -> ${edge.to}`);
    if (from === HTTP || to === HTTP || isRoutes(edge.from)) continue;
    const key = `${from} ${to}`;
    folderEdges.set(key, [...(folderEdges.get(key) ?? []), edge]);
  }
  for (const key of folderEdges.keys()) {
    const [a, b] = key.split(' ') as [string, string];
    if (a < b && folderEdges.has(`${b} ${a}`)) found.add(`two-way ${a} <-> ${b}`);
  }
  return [...found].sort();
}

function readBaseline(): string[] {
  if (!existsSync(BASELINE)) return [];
  return readFileSync(BASELINE, 'utf8').split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
}

function describeTwoWay(line: string, edges: readonly Edge[]): string[] {
  const match = /^two-way (\S+) <-> (\S+)$/.exec(line);
  if (!match) return [];
  const [, a, b] = match;
  return edges
    .filter((edge) => !isRoutes(edge.from))
    .filter((edge) => (folderOf(edge.from) === a && folderOf(edge.to) === b) || (folderOf(edge.from) === b && folderOf(edge.to) === a))
    .map((edge) => `      ${edge.from} -> ${edge.to}`);
}

function main(): number {
  const edges = importEdges();
  const current = violations(edges);
  if (process.argv.includes('--write-baseline')) {
    const header = '# Known dependency-direction violations (scripts/check-deps.ts). Remove a line when its edge is gone;\n# never add one to make CI pass.\n';
    writeFileSync(BASELINE, header + current.join('\n') + '\n');
    console.log(`check:deps: wrote ${current.length} known violations to ${relative(ROOT, BASELINE)}`);
    return 0;
  }
  const baseline = new Set(readBaseline());
  const added = current.filter((line) => !baseline.has(line));
  const fixed = [...baseline].filter((line) => !current.includes(line));
  const known = current.filter((line) => baseline.has(line));
  const show = (line: string): void => {
    console.log(`  ${line}`);
    for (const detail of describeTwoWay(line, edges)) console.log(detail);
  };
  if (known.length > 0) {
    console.log(`check:deps: ${known.length} known violations (in ${relative(ROOT, BASELINE)}, to be fixed):`);
    known.forEach(show);
  }
  if (added.length > 0) {
    console.log(`\ncheck:deps: FAIL — ${added.length} new violations (domains import http/ only from routes.ts; no two domain folders import each other):`);
    added.forEach(show);
  }
  if (fixed.length > 0) {
    console.log(`\ncheck:deps: FAIL — fixed, so remove these lines from ${relative(ROOT, BASELINE)}:`);
    for (const line of fixed) console.log(`  ${line}`);
  }
  if (added.length === 0 && fixed.length === 0) console.log(`check:deps: ok (${edges.length} imports, no new violations)`);
  return added.length === 0 && fixed.length === 0 ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
