import { readFileSync, readdirSync } from 'node:fs';
import { parseProgram } from '../lib/keras/parse';
import { inferShapes } from '../lib/spec/shape';
for (const f of readdirSync('examples').filter((f) => f.endsWith('.py')).sort()) {
  const src = readFileSync(`examples/${f}`, 'utf8');
  const r = parseProgram(src);
  const s = r.spec ? inferShapes(r.spec).summary : null;
  console.log(f, JSON.stringify(r.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.message}`)), s && { t: s.trainable, nt: s.nonTrainable, out: s.outputShapes }, r.spec && r.spec.layers.map((l) => `${l.id}:${JSON.stringify(s!.shapes[l.id])}:${s!.rows.find(x=>x.id===l.id)!.trainable}+${s!.rows.find(x=>x.id===l.id)!.nonTrainable}`).join(' '), r.spec?.compile?.optimizer);
}
