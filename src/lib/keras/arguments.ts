/**
 * Argument conversion: matches a call's arguments to the callee's parameters (`bind`) and checks and converts each
 * argument value against its ArgDef (`convert`) into a spec value, reporting located, specific messages.
 */
import { REGULARIZERS, type RegularizerName } from '$lib/layers/regularizers';
import type { ArgDef } from '$lib/layers/types';
import type { ArgValue } from '$lib/spec/types';
import type { ParamDef } from './builtins';
import { quoteList, suggestion } from './diagnostics';
import { article, describe, pyNumber, type Arg, type CallArgs, type Reporter, type Value } from './values';

/** The spec value of a regularizer call: `{ type, l1?, l2? }` with the call's factors over Keras' defaults. */
export function regularizerConfig(name: RegularizerName, values: Map<string, ArgValue>): { [key: string]: ArgValue } {
  const config: { [key: string]: ArgValue } = { type: name };
  for (const def of REGULARIZERS[name].args) config[def.name] = values.get(def.name) ?? (def.default as number);
  return config;
}

export class ArgumentConverter {
  constructor(private readonly r: Reporter) {}

  /** Matches arguments to parameters, reporting unknown, repeated, unsupported and missing ones. */
  bind(owner: string, params: readonly ParamDef[], args: CallArgs): { bound: Map<string, Arg>; ok: boolean } {
    const bound = new Map<string, Arg>();
    let ok = true;
    const positional = params.filter((p) => !p.keywordOnly);
    if (args.positional.length > positional.length) {
      const extra = args.positional[positional.length];
      const n = positional.length;
      this.r.report(`${owner} takes at most ${n} positional argument${n === 1 ? '' : 's'}, got ${args.positional.length}`, extra.span, `Pass the others by name: ${owner}(${params.map((p) => `${p.name}=...`).slice(0, 3).join(', ')})`);
      // Which value was meant for which parameter is unclear: check nothing else.
      return { bound, ok: false };
    }
    args.positional.slice(0, positional.length).forEach((a, i) => bound.set(positional[i].name, a));
    const supported = params.filter((p) => !p.unsupported).map((p) => p.name);
    for (const kw of args.keywords) {
      const { name, nameSpan } = kw;
      if (!params.some((p) => p.name === name)) {
        this.r.report(`${owner} has no argument '${name}'${suggestion(name, supported)}`, nameSpan, `${owner} arguments: ${supported.join(', ')}`);
        ok = false;
      } else if (bound.has(name)) {
        this.r.report(`${owner} got two values for '${name}'`, nameSpan);
        ok = false;
      } else bound.set(name, kw);
    }
    for (const p of params) {
      const arg = bound.get(p.name);
      if (arg && p.unsupported) {
        this.r.report(`${owner}(${p.name}=...) is not supported here`, arg.nameSpan ?? arg.span, p.unsupported);
        ok = false;
      }
      if (!arg && p.required) {
        this.r.report(`${owner} is missing the required argument '${p.name}'`, args.span);
        ok = false;
      }
    }
    return { bound, ok };
  }

  /** Checks one argument against its ArgDef and converts it to a spec value; reports and returns undefined if invalid. */
  convert(owner: string, def: ArgDef, arg: Arg): ArgValue | undefined {
    const v = arg.value;
    if (v.kind === 'poison') return undefined;
    const where = `${owner} argument '${def.name}'`;
    const bad = (message: string, hint?: string): undefined => {
      this.r.report(message, arg.span, hint);
      return undefined;
    };
    if (v.kind === 'none' && (def.default === null || def.type === 'activation' || def.type === 'regularizer')) return null;
    const quotedNumber = v.kind === 'string' && v.value.trim() !== '' && !Number.isNaN(Number(v.value)) ? `Remove the quotes: ${v.value}` : undefined;
    const int = (x: Value): x is { kind: 'number'; value: number; isInt: true } => x.kind === 'number' && x.isInt;
    switch (def.type) {
      case 'int':
        if (!int(v)) return bad(`${where} must be an integer, got ${describe(v)}`, quotedNumber);
        return this.inBounds(where, def, v.value, arg);
      case 'float':
        if (v.kind !== 'number') return bad(`${where} must be a number, got ${describe(v)}`, quotedNumber);
        return this.inBounds(where, def, v.value, arg);
      case 'bool':
        if (v.kind !== 'bool') return bad(`${where} must be True or False, got ${describe(v)}`);
        return v.value;
      case 'string':
      case 'activation':
      case 'initializer': {
        const noun = def.type === 'string' ? 'value' : def.type;
        const allowed = def.values ?? [];
        const noneOk = def.type === 'activation' ? ' or None' : '';
        if (v.kind !== 'string') {
          return bad(`${where} must be a string${allowed.length ? ` such as "${allowed[0]}"` : ''}${noneOk}, got ${describe(v)}`, allowed.length ? `Supported: ${quoteList(allowed)}${noneOk}` : undefined);
        }
        if (allowed.length > 0 && !allowed.includes(v.value)) {
          return bad(`Unknown ${noun} "${v.value}"${suggestion(v.value, allowed, '"')}`, `Supported: ${quoteList(allowed)}${noneOk}`);
        }
        return v.value;
      }
      case 'shape': {
        if (v.kind === 'number') return bad(`${where} must be a tuple, got ${describe(v)}`, `Write (${pyNumber(v.value, v.isInt)},) with a comma: (${pyNumber(v.value, v.isInt)}) is just a number`);
        if (v.kind !== 'tuple' && v.kind !== 'list') return bad(`${where} must be a tuple of sizes such as (2,), got ${describe(v)}`);
        const dims: number[] = [];
        for (const [i, item] of v.items.entries()) {
          const itemArg = { value: item, span: v.spans[i] };
          if (item.kind === 'poison') return undefined; // reported already
          if (item.kind === 'none') {
            this.r.report(`Variable-size dimensions (None) are not supported in ${where}`, itemArg.span, 'Give every dimension a size');
            return undefined;
          }
          // keras.Input's shape needs real sizes; a layer's shape argument (Reshape's target_shape) may hold one
          // -1, which the layer itself validates.
          const lowest = def.name === 'shape' ? 1 : -1;
          if (!int(item) || item.value < lowest || item.value === 0) {
            this.r.report(`${where} must hold positive integers${lowest < 0 ? ' (or one -1)' : ''}, got ${describe(item)}`, itemArg.span);
            return undefined;
          }
          dims.push(item.value);
        }
        return dims;
      }
      case 'int_or_tuple': {
        // Kept as written (3 or (3, 3)); the layer normalises it.
        if (int(v)) return this.inBounds(where, def, v.value, arg);
        if (v.kind !== 'tuple' && v.kind !== 'list') return bad(`${where} must be an integer or a tuple of integers, got ${describe(v)}`, quotedNumber);
        const out: number[] = [];
        for (const [i, item] of v.items.entries()) {
          const itemArg = { value: item, span: v.spans[i] };
          if (item.kind === 'poison') return undefined; // reported already
          if (!int(item)) {
            this.r.report(`${where} must hold integers, got ${describe(item)}`, itemArg.span);
            return undefined;
          }
          const n = this.inBounds(where, def, item.value, itemArg);
          if (n === undefined) return undefined;
          out.push(n);
        }
        return out;
      }
      case 'layer': {
        const allowed = def.values ?? [];
        const example = `layers.${allowed[0] ?? 'LSTM'}(16)`;
        if (v.kind !== 'layer') return bad(`${where} must be a layer such as ${example}, got ${describe(v)}`, allowed.length ? `Supported: ${allowed.map((k) => `layers.${k}(...)`).join(', ')}` : undefined);
        const inner = v.layer;
        if (allowed.length > 0 && !allowed.includes(inner.def.kind)) {
          return bad(`${where} must be ${article(allowed[0])} ${allowed.join(', ').replace(/, ([^,]*)$/, ' or $1')} layer, got ${describe(v)}`, `Supported: ${allowed.map((k) => `layers.${k}(...)`).join(', ')}`);
        }
        if (inner.used) return bad(`${where}: this ${inner.def.kind} layer is already used elsewhere`, 'Create a new layer for each use');
        inner.used = true;
        return { kind: inner.def.kind, args: structuredClone(inner.args) };
      }
      case 'regularizer': {
        if (v.kind === 'regularizer') return structuredClone(v.config); // one regularizer object may serve several layers
        if (v.kind === 'string' && v.value in REGULARIZERS) {
          // Keras' string identifiers use 0.01 for every factor ('l1_l2' too, unlike L1L2()).
          const name = v.value as RegularizerName;
          return regularizerConfig(name, new Map(REGULARIZERS[name].args.map((a) => [a.name, 0.01])));
        }
        return bad(`${where} must be a regularizer such as keras.regularizers.l2(0.01), or None; got ${describe(v)}`, 'Supported: regularizers.l1(...), regularizers.l2(...), regularizers.l1_l2(l1=..., l2=...)');
      }
    }
  }

  private inBounds(where: string, def: ArgDef, x: number, arg: Arg): number | undefined {
    const { min, max } = def;
    if ((min !== undefined && x < min) || (max !== undefined && x > max)) {
      const range = min !== undefined && max !== undefined ? `between ${min} and ${max}` : min !== undefined ? `at least ${min}` : `at most ${max}`;
      this.r.report(`${where} must be ${range}, got ${x}`, arg.span);
      return undefined;
    }
    return x;
  }
}
