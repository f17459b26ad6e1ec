// The SDK as one ES module for the standalone's web chat: `npm run bundle` writes it to the standalone's static
// resources, where it is committed (./pigeonhole needs only a JDK: no Node at its build or run time).
// test/bundle.test.mjs fails when the committed file is not what this builds from src/ now.
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(web, 'package.json'), 'utf8'));

/** Where the bundle is committed (served by the standalone at /vendor/pigeonhole-client.js). */
export const target = join(web, '../../standalone/src/main/resources/META-INF/resources/vendor/pigeonhole-client.js');

/** The bundle's text, built from src/ (deterministic: same sources and esbuild version, same bytes). */
export async function bundle() {
  const result = await build({
    absWorkingDir: web,
    entryPoints: ['src/index.ts'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    charset: 'utf8',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
    banner: {
      js: `// ${pkg.name} ${pkg.version}: clients/web/src bundled by \`npm run bundle\` (esbuild). Generated: do not edit;\n` +
        `// clients/web's npm test fails when this file differs from a fresh build.`,
    },
  });
  return result.outputFiles[0].text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(target, await bundle());
  console.log(`wrote ${target}`);
}
