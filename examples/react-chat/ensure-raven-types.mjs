// `npm run dev` / `npm run build` first make sure the linked @raven/types (clients/typescript) is installed and built.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = join(import.meta.dirname, '..', '..', 'clients', 'typescript');
const times = (folder) => readdirSync(folder).map((f) => statSync(join(folder, f)).mtimeMs);
const run = (command) => execSync(command, { cwd: dir, stdio: 'inherit' });

if (!existsSync(join(dir, 'node_modules', 'typescript'))) run('npm ci --no-audit --no-fund --loglevel=error');
if (!existsSync(join(dir, 'dist', 'index.js')) || Math.max(...times(join(dir, 'src'))) > Math.min(...times(join(dir, 'dist')))) run('npm run build --silent');
