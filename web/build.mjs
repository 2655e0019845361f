// Builds the console into dist/web/: one bundled, minified ES module and one stylesheet (esbuild),
// plus the page and its icon. Run by `npm run build`.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.resolve(here, '..', 'dist', 'web');
fs.mkdirSync(out, { recursive: true });

await build({
  entryPoints: { app: path.join(here, 'src', 'main.ts'), 'app-css': path.join(here, 'app.css') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  legalComments: 'none',
  external: ['icon.svg'],
  logLevel: 'warning',
});
fs.renameSync(path.join(out, 'app-css.css'), path.join(out, 'app.css'));
for (const file of ['index.html', 'icon.svg']) fs.copyFileSync(path.join(here, file), path.join(out, file));
