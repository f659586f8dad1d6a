// npm test: every test file under test/ with node's own runner, reported on stdout and as JUnit XML in
// target/junit.xml (which scripts/test.sh counts with the Maven reports). Tests use the build in dist/ (npm run build).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(path.join(root, 'target'), { recursive: true });
const files = readdirSync(path.join(root, 'test')).filter((f) => f.endsWith('.test.mjs')).map((f) => path.join('test', f));
const r = spawnSync(process.execPath, [
  '--test', '--test-concurrency=1',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=junit', '--test-reporter-destination=target/junit.xml',
  ...files,
], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
