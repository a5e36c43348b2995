/** The files of every PV (pv.json, pv.md, pv.html), written together, all or nothing (modules/loader/safeOutput.ts). */
import { type OutputTarget, writeFileSet } from '../../loader/safeOutput.ts';

export const PV_FILES = { json: 'pv.json', md: 'pv.md', html: 'pv.html' } as const;

export interface RenderedPv {
  json: string;
  md: string;
  html: string;
}

/** Writes pv.json, pv.md and pv.html into `dir`, all or nothing; returns the paths written. */
export function writePvFiles(dir: string, pv: RenderedPv, target: OutputTarget): string[] {
  return writeFileSet(
    dir,
    (['json', 'md', 'html'] as const).map((k) => ({ name: PV_FILES[k], content: pv[k] })),
    target,
  );
}
