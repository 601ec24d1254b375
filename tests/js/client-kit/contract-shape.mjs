// Reads @raven/types' declarations with the TypeScript compiler API and describes them in the shape of
// clients/typescript/contract.json (which the C# test ContractExportTests writes from the server's types),
// and diffs two such descriptions.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const packageDir = join(repoRoot, 'clients', 'typescript');
export const contractPath = join(packageDir, 'contract.json');
export const entryFile = join(packageDir, 'src', 'index.ts');

/** The package's pinned TypeScript compiler (clients/typescript/node_modules); fails loudly when not installed. */
export function loadTypeScript() {
  const pkg = join(packageDir, 'node_modules', 'typescript', 'package.json');
  if (!existsSync(pkg)) {
    throw new Error(`TypeScript is not installed in ${packageDir}: run (cd clients/typescript && npm ci)`);
  }
  return createRequire(join(packageDir, 'package.json'))('typescript');
}

/**
 * Builds a program over the package sources. `overrides` maps absolute file paths to replacement text, so a test
 * can check that a changed declaration is noticed.
 */
const parsed = new Map();

export function createProgram(ts, overrides = {}) {
  const options = { strict: true, skipLibCheck: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022, moduleResolution: ts.ModuleResolutionKind.Bundler, noEmit: true, lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'] };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (file) => overrides[file] ?? readFile(file);
  // Unchanged files (lib.dom.d.ts above all) are parsed once for all the programs a test run builds.
  host.getSourceFile = (file, lang, onError, create) => {
    if (overrides[file] !== undefined) return ts.createSourceFile(file, overrides[file], lang, true);
    if (!parsed.has(file)) parsed.set(file, getSourceFile(file, lang, onError, create));
    return parsed.get(file);
  };
  const program = ts.createProgram([entryFile], options, host);
  const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  if (errors.length) {
    throw new Error('@raven/types does not compile:\n' + errors.join('\n'));
  }
  return program;
}

/** Describes the exported declarations of the package in contract.json's shape. */
export function describeTypeScript(ts, program, contract) {
  const checker = program.getTypeChecker();
  const entry = program.getSourceFile(entryFile);
  const exports = new Map(checker.getExportsOfModule(checker.getSymbolAtLocation(entry)).map((s) => [s.name, s]));

  const exported = (name) => {
    const symbol = exports.get(name);
    if (!symbol) return undefined;
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    return checker.getDeclaredTypeOfSymbol(target);
  };
  const typeOf = (symbol) => checker.getTypeOfSymbol(symbol);
  // An optional parameter's type is `T | undefined`; the callback or payload type is T.
  const withoutUndefined = (type) => {
    if (!type.isUnion()) return type;
    const kept = type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined));
    return kept.length === 1 ? kept[0] : type;
  };

  function normalize(type) {
    const f = type.flags;
    if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return 'unknown';
    if (f & ts.TypeFlags.Boolean) return 'boolean';
    if (type.isUnion()) {
      const parts = [...new Set(type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined)).map(normalize))];
      parts.sort((a, b) => (a === 'null') - (b === 'null') || a.localeCompare(b));
      return parts.join(' | ');
    }
    if (f & (ts.TypeFlags.String | ts.TypeFlags.StringLiteral | ts.TypeFlags.TemplateLiteral)) return 'string';
    if (f & (ts.TypeFlags.Number | ts.TypeFlags.NumberLiteral)) return 'number';
    if (f & ts.TypeFlags.BooleanLiteral) return 'boolean';
    if (f & ts.TypeFlags.Null) return 'null';
    if (type.isIntersection()) {
      const parts = type.types.map(normalize);
      if (parts.includes('string')) return 'string';
    }
    if (checker.isArrayType(type)) return normalize(checker.getTypeArguments(type)[0]) + '[]';
    const stringIndex = checker.getIndexInfoOfType(type, ts.IndexKind.String);
    if (stringIndex && checker.getPropertiesOfType(type).length === 0) return `Record<string, ${normalize(stringIndex.type)}>`;
    return type.aliasSymbol?.name ?? type.symbol?.name ?? checker.typeToString(type);
  }

  function fields(type) {
    const out = {};
    const props = checker.getPropertiesOfType(type).map((p) => [p.name + (p.flags & ts.SymbolFlags.Optional ? '?' : ''), normalize(typeOf(p))]);
    for (const [name, t] of props.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) out[name] = t;
    return out;
  }

  const signatureParam = (propSymbol, index) => {
    const signature = checker.getSignaturesOfType(withoutUndefined(typeOf(propSymbol)), ts.SignatureKind.Call)[0];
    const param = signature?.parameters[index];
    return param ? withoutUndefined(typeOf(param)) : undefined;
  };

  // An ack callback (result: AckResult<T>) => void: T is `data` of the ok member.
  const ackData = (ackType) => {
    const result = checker.getSignaturesOfType(ackType, ts.SignatureKind.Call)[0]?.parameters[0];
    if (!result) return undefined;
    const union = typeOf(result);
    const ok = (union.isUnion() ? union.types : [union]).find((t) => checker.getPropertyOfType(t, 'data'));
    return ok ? typeOf(checker.getPropertyOfType(ok, 'data')) : undefined;
  };

  const clientToServer = {};
  const clientEvents = exported('ClientToServerEvents');
  let ackEnvelope;
  for (const prop of clientEvents ? checker.getPropertiesOfType(clientEvents) : []) {
    const payload = signatureParam(prop, 0);
    const ack = signatureParam(prop, 1);
    const data = ack && ackData(ack);
    clientToServer[prop.name] = { payload: payload ? fields(payload) : null, ack: data ? fields(data) : null };
    if (ack && !ackEnvelope) ackEnvelope = envelopeOf(ack);
  }

  // The ack envelope: members of AckResult merged; `data` is generic, so `unknown` as on the C# side.
  function envelopeOf(ackType) {
    const union = typeOf(checker.getSignaturesOfType(ackType, ts.SignatureKind.Call)[0].parameters[0]);
    const members = union.isUnion() ? union.types : [union];
    const names = [...new Set(members.flatMap((m) => checker.getPropertiesOfType(m).map((p) => p.name)))].sort();
    const out = {};
    for (const name of names) {
      const inAll = members.every((m) => checker.getPropertyOfType(m, name));
      const types = [...new Set(members.map((m) => checker.getPropertyOfType(m, name)).filter(Boolean).map((p) => normalize(typeOf(p))))];
      out[name + (inAll ? '' : '?')] = name === 'data' ? 'unknown' : types.length === 1 ? types[0] : types.join(' | ');
    }
    return out;
  }

  const serverToClient = {};
  const serverEvents = exported('ServerToClientEvents');
  for (const prop of serverEvents ? checker.getPropertiesOfType(serverEvents) : []) {
    const payload = signatureParam(prop, 0);
    serverToClient[prop.name] = { payload: payload ? fields(payload) : null };
  }

  const literals = (name) => {
    const type = exported(name);
    if (!type) return [];
    return (type.isUnion() ? type.types : [type]).filter((t) => t.isStringLiteral()).map((t) => t.value).sort();
  };

  const rest = {};
  for (const [name, { direction }] of Object.entries(contract.rest)) {
    const type = exported(name);
    rest[name] = { direction, fields: type ? fields(type) : null };
  }

  const socketEventConst = exports.get('SocketEvent');
  const socketEventNames = socketEventConst
    ? checker.getPropertiesOfType(typeOf(socketEventConst)).map((p) => typeOf(p).value).sort()
    : [];

  return {
    socket: {
      clientToServer: sortKeys(clientToServer),
      serverToClient: sortKeys(serverToClient),
      ack: ackEnvelope ?? null,
      errorCodes: literals('RavenErrorCode'),
      connectErrorCodes: literals('ConnectErrorCode'),
    },
    rest,
    socketEventNames,
  };
}

function sortKeys(object) {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => (a < b ? -1 : 1)));
}

// Requests: the C# records make every field nullable so the server can answer a missing one with a clear 400;
// the TypeScript types may be stricter, so only field names and base types are compared.
const baseType = (t) => t.split(' | ').filter((p) => p !== 'null').join(' | ');
const requestFields = (fields) =>
  Object.fromEntries(Object.entries(fields ?? {}).map(([k, v]) => [k.replace(/\?$/, ''), baseType(v)]));

/** Every difference between the contract (from C#) and the TypeScript description, as readable lines. */
export function diffContracts(contract, described) {
  const out = [];
  const compareFields = (where, expected, actual) => {
    if (actual === null || actual === undefined) {
      out.push(`${where}: missing in the TypeScript declarations`);
      return;
    }
    for (const key of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      if (!(key in actual)) out.push(`${where}.${key}: in the server contract (${expected[key]}) but not in TypeScript`);
      else if (!(key in expected)) out.push(`${where}.${key}: in TypeScript (${actual[key]}) but not in the server contract`);
      else if (expected[key] !== actual[key]) out.push(`${where}.${key}: server says ${expected[key]}, TypeScript says ${actual[key]}`);
    }
  };
  const compareEvents = (direction) => {
    const expected = contract.socket[direction];
    const actual = described.socket[direction];
    for (const name of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
      if (!(name in actual)) out.push(`${direction}: event '${name}' is not in the TypeScript event map`);
      else if (!(name in expected)) out.push(`${direction}: event '${name}' is in TypeScript but not on the server`);
      else {
        compareFields(`${direction}.${name}.payload`, expected[name].payload, actual[name].payload);
        if (expected[name].ack) compareFields(`${direction}.${name}.ack`, expected[name].ack, actual[name].ack);
      }
    }
  };
  compareEvents('clientToServer');
  compareEvents('serverToClient');
  compareFields('socket.ack', contract.socket.ack, described.socket.ack);
  for (const list of ['errorCodes', 'connectErrorCodes']) {
    const expected = [...contract.socket[list]].sort().join(', ');
    const actual = [...described.socket[list]].sort().join(', ');
    if (expected !== actual) out.push(`socket.${list}: server says [${expected}], TypeScript says [${actual}]`);
  }
  for (const [name, { direction, fields }] of Object.entries(contract.rest)) {
    const actual = described.rest[name]?.fields;
    if (direction === 'request') compareFields(`rest.${name}`, requestFields(fields), actual && requestFields(actual));
    else compareFields(`rest.${name}`, fields, actual);
  }
  const eventNames = [...Object.keys(contract.socket.clientToServer), ...Object.keys(contract.socket.serverToClient)].sort().join(', ');
  if (described.socketEventNames && described.socketEventNames.join(', ') !== eventNames) {
    out.push(`SocketEvent: server events are [${eventNames}], the SocketEvent constant has [${described.socketEventNames.join(', ')}]`);
  }
  return out;
}
