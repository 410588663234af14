// prepack of every public package: npm takes a licence file only from the
// package's own folder, so the repository's LICENSE is copied in before packing.
import { copyFileSync } from 'node:fs';
import { resolve } from 'node:path';

copyFileSync(resolve(import.meta.dirname, '../LICENSE'), resolve(process.cwd(), 'LICENSE'));
