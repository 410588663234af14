import { type ErrorKind, errors, statusOf } from '@restash/core/protocol';
import { passwordMatches, type TokenSealer } from '../auth/acl-tokens.js';
import type { Access } from '../auth/tokens.js';
import { type Backend, BackendFailure } from '../backend/backend.js';
import { ServerError } from '../errors.js';
import {
  type Arg,
  commandName,
  encodeResp,
  type Reply,
  ReplyError,
  ReplyTooLarge,
  textOf,
} from '../resp/resp.js';
import { type CommandTable, refusal } from './commands.js';
import { encodeEntry, encodeError, encodeResult } from './reply.js';
import { ScriptRewriter } from './scripts.js';

/** How a request wants its replies. */
export interface ReplyFormat {
  base64: boolean;
  resp2: boolean;
}

/** An HTTP answer: status, body and its content type. */
export interface Answer {
  status: number;
  body: string | (string | Uint8Array)[];
  contentType: 'application/json' | 'application/octet-stream' | 'text/plain; version=0.0.4; charset=utf-8';
}

export type AnswerCallback = (answer: Answer) => void;

/** A JSON error answer with the status of its kind. */
export function errorAnswer(kind: ErrorKind, message: string): Answer {
  return { status: statusOf[kind], body: encodeError(message), contentType: 'application/json' };
}

function failureAnswer(failure: BackendFailure): Answer {
  if (failure.kind === 'timeout') return errorAnswer('timeout', `ERR ${failure.message}`);
  // An ACL user's connection refused by Redis (e.g. SELECT of a database the user may not use) is
  // the user's rights, not an outage: Redis's text, as a 4xx.
  const denied = failure.message.indexOf('NOPERM');
  if (denied !== -1) return errorAnswer('forbidden', failure.message.slice(denied));
  return errorAnswer('unavailable', errors.unavailable(failure.message));
}

/**
 * Calls `done` with what `build` makes, or with an error answer if `build`
 * throws: every request is answered once, also when its reply cannot be
 * encoded (a reply over V8's string limit throws, whatever the size limit).
 */
function answerWith(done: AnswerCallback, build: () => Answer): void {
  let answer: Answer;
  try {
    answer = build();
  } catch (error) {
    answer = encodingFailure(error);
  }
  done(answer);
}

/** The answer to a reply whose encoding threw. */
function encodingFailure(error: unknown): Answer {
  // A reply over the response limit (`ReplyTooLarge`) is a ServerError; a RangeError is V8's string limit.
  const tooLong =
    error instanceof RangeError || (error as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG';
  return error instanceof ServerError
    ? errorAnswer(error.code, error.message)
    : tooLong
      ? errorAnswer('too-large', 'ERR max request size exceeded. The response is too large to encode')
      : errorAnswer('internal', 'ERR internal server error: the reply could not be encoded');
}

/** The answer to one command's reply (`single`). */
function singleAnswer(
  result: Reply,
  transform: ((reply: Reply) => Reply) | undefined,
  format: ReplyFormat,
): Answer {
  const reply = transform ? transform(result) : result;
  if (reply instanceof ReplyTooLarge) return errorAnswer('too-large', reply.message);
  if (reply instanceof ReplyError)
    return errorAnswer(loading(reply) ? 'unavailable' : 'command', reply.message);
  if (format.resp2) {
    const out: (string | Uint8Array)[] = [];
    encodeResp(reply, out);
    return { status: 200, body: out, contentType: 'application/octet-stream' };
  }
  return {
    status: 200,
    body: `{"result":${encodeResult(reply, format.base64, true)}}`,
    contentType: 'application/json',
  };
}

/** Why a command may not run. */
export interface Denial {
  kind: ErrorKind;
  message: string;
}

/** A command answered by the server from what Redis replies to another command. */
interface Substitute {
  args: Arg[];
  transform: (reply: Reply) => Reply;
}

/** Where `ACL RESTTOKEN` seals its tokens, and for which database. */
export interface AclTokenIssuer {
  database: string;
  sealer: TokenSealer;
}

/** Applies the transforms of substituted commands to their replies, in place. */
function transformReplies(
  replies: Reply[],
  transforms: ((reply: Reply) => Reply)[] | undefined,
  offset = 0,
): void {
  if (!transforms) return;
  for (let i = 0; i < transforms.length; i++) {
    const transform = transforms[i];
    if (transform) replies[i + offset] = transform(replies[i + offset]!);
  }
}

const MULTI: Arg[] = ['MULTI'];
const EXEC: Arg[] = ['EXEC'];

/** Settings of an {@link Executor}. */
export interface ExecutorOptions {
  /** Where commands go. */
  backend: Backend;
  /** What Redis says of each command (read-only, keys, administrative), and the operator's rules. */
  table: CommandTable;
  /** Seals `ACL RESTTOKEN` tokens; without it that command is not available. */
  issuer?: AclTokenIssuer;
  /** Says why this identity may not run transactions at all, if it may not. */
  transactionDenial?: () => string | undefined;
  /** Where read-only tokens' commands go, when not to `backend` (cluster replicas). */
  readBackend?: Backend;
}

/**
 * Runs parsed commands against Redis and builds the HTTP answer. This is the
 * protocol layer: it knows the REST rules (refused commands, read-only tokens,
 * per-entry pipeline errors, transaction discard) but nothing about HTTP I/O.
 *
 * @example
 * const executor = new Executor({ backend: connection, table });
 * executor.single(['GET', 'k'], 'standard', { base64: false, resp2: false }, (answer) => send(answer));
 */
export class Executor {
  private readonly scripts = new ScriptRewriter();
  private readonly backend: Backend;
  private readonly table: CommandTable;
  private readonly issuer?: AclTokenIssuer;
  private readonly transactionDenial?: () => string | undefined;
  private readonly readBackend?: Backend;

  constructor(options: ExecutorOptions) {
    this.backend = options.backend;
    this.table = options.table;
    this.issuer = options.issuer;
    this.transactionDenial = options.transactionDenial;
    this.readBackend = options.readBackend;
  }

  private backendFor(access: Access): Backend {
    return access === 'read-only' && this.readBackend !== undefined ? this.readBackend : this.backend;
  }

  /**
   * The arguments to send for a command, or why this token may not run it.
   * Scripts with Upstash-only shebang flags are rewritten here, and
   * `ACL RESTTOKEN` becomes an `ACL GETUSER` whose reply is turned into a token.
   */
  prepare(args: Arg[], access: Access): Arg[] | Denial | Substitute {
    const name = commandName(args);
    const refused = refusal(name, args);
    if (refused !== undefined) return { kind: 'command', message: refused };
    const administrative = this.table.administrative(name, args);
    if (administrative !== undefined) return { kind: 'command', message: administrative };
    if (access === 'read-only' && !this.table.allowsReadOnly(name, args)) {
      if (!this.table.ready) {
        return { kind: 'unavailable', message: errors.unavailable(this.backend.lastFailure) };
      }
      return { kind: 'forbidden', message: errors.noPermission(name) };
    }
    if (name === 'ACL' && isWord(args[1], 'RESTTOKEN')) return this.restToken(args);
    return this.scripts.rewrite(name, args);
  }

  private restToken(args: Arg[]): Denial | Substitute {
    if (args.length !== 4) return { kind: 'command', message: errors.wrongArity('acl|resttoken') };
    const username = textOf(args[2]!);
    const password = textOf(args[3]!);
    const issuer = this.issuer;
    if (!issuer) return { kind: 'command', message: errors.notAvailable('ACL RESTTOKEN') };
    return {
      args: ['ACL', 'GETUSER', username],
      transform: (reply) => {
        if (reply instanceof ReplyError) return reply;
        if (!passwordMatches(reply, password)) return new ReplyError(errors.wrongAclPassword(username));
        return Buffer.from(issuer.sealer.seal({ database: issuer.database, username, password }));
      },
    };
  }

  /** `POST /` and path commands: one command, one `{"result"}` or `{"error"}`. */
  single(args: Arg[], access: Access, format: ReplyFormat, done: AnswerCallback): void {
    let prepared = this.prepare(args, access);
    let transform: ((reply: Reply) => Reply) | undefined;
    if (!Array.isArray(prepared)) {
      if (!('args' in prepared)) return done(errorAnswer(prepared.kind, prepared.message));
      transform = prepared.transform;
      prepared = prepared.args;
    }
    this.backendFor(access).send([prepared], (result) => {
      if (result instanceof BackendFailure) return done(failureAnswer(result));
      // Not answerWith: no closure per request on the hottest path.
      let answer: Answer;
      try {
        answer = singleAnswer(result[0]!, transform, format);
      } catch (error) {
        answer = encodingFailure(error);
      }
      done(answer);
    });
  }

  /**
   * `POST /pipeline`: every command runs in order, none atomically; a refused or
   * failing command is an `{"error"}` entry and the others still run.
   */
  pipeline(commands: Arg[][], access: Access, format: ReplyFormat, done: AnswerCallback): void {
    if (commands.length === 0) return done(errorAnswer('command', errors.emptyPipeline));
    let refused: (string | undefined)[] | undefined;
    let transforms: ((reply: Reply) => Reply)[] | undefined;
    const allowed: Arg[][] = [];
    for (let i = 0; i < commands.length; i++) {
      const prepared = this.prepare(commands[i]!, access);
      if (Array.isArray(prepared)) {
        allowed.push(prepared);
      } else if ('args' in prepared) {
        transforms ??= [];
        transforms[allowed.length] = prepared.transform;
        allowed.push(prepared.args);
      } else {
        if (prepared.kind === 'unavailable') return done(errorAnswer(prepared.kind, prepared.message));
        refused ??= new Array(commands.length);
        refused[i] = prepared.message;
      }
    }
    const answer = (replies: Reply[]) =>
      answerWith(done, () => {
        const restarting = replies.find(loading);
        if (restarting) return errorAnswer('unavailable', (restarting as ReplyError).message);
        transformReplies(replies, transforms);
        const entries: Reply[] = refused ? mergeRefused(replies, refused) : replies;
        if (format.resp2) {
          const out: (string | Uint8Array)[] = [];
          for (const reply of entries) encodeResp(reply, out);
          return { status: 200, body: out, contentType: 'application/octet-stream' };
        }
        return { status: 200, body: encodeEntries(entries, format.base64), contentType: 'application/json' };
      });
    if (allowed.length === 0) return answer([]);
    this.backendFor(access).send(allowed, (result) => {
      if (result instanceof BackendFailure) return done(failureAnswer(result));
      answer(result);
    });
  }

  /**
   * `POST /multi-exec`: the commands run atomically as MULTI … EXEC, written to
   * Redis as one contiguous block. A refused command or a queue-time error
   * (wrong arity, unknown command) discards the whole transaction with one
   * error; runtime errors (WRONGTYPE…) are entries, as in Redis.
   */
  transaction(commands: Arg[][], access: Access, format: ReplyFormat, done: AnswerCallback): void {
    if (commands.length === 0) return done(errorAnswer('command', errors.emptyTransaction));
    const denied = this.transactionDenial?.();
    if (denied !== undefined) return done(errorAnswer('forbidden', denied));
    const batch: Arg[][] = [MULTI];
    let transforms: ((reply: Reply) => Reply)[] | undefined;
    for (const args of commands) {
      const prepared = this.prepare(args, access);
      if (Array.isArray(prepared)) {
        batch.push(prepared);
      } else if ('args' in prepared) {
        transforms ??= [];
        transforms[batch.length - 1] = prepared.transform;
        batch.push(prepared.args);
      } else {
        return done(errorAnswer(prepared.kind, prepared.message));
      }
    }
    batch.push(EXEC);
    this.backend.atomic(batch, (result) => {
      if (result instanceof BackendFailure) return done(failureAnswer(result));
      const exec = result[result.length - 1]!;
      for (let i = 1; i < result.length - 1; i++) {
        const queued = result[i];
        if (queued instanceof ReplyError) {
          if (loading(queued)) return done(errorAnswer('unavailable', queued.message));
          return done(errorAnswer('command', errors.transactionAborted(queued.message)));
        }
      }
      if (exec instanceof ReplyError) {
        return done(errorAnswer(loading(exec) ? 'unavailable' : 'command', exec.message));
      }
      if (!Array.isArray(exec)) return done(errorAnswer('internal', 'ERR unexpected EXEC reply'));
      answerWith(done, () => {
        transformReplies(exec, transforms);
        return { status: 200, body: encodeEntries(exec, format.base64), contentType: 'application/json' };
      });
    });
  }
}

/**
 * True for Redis's `LOADING` error: it is restarting and loading its data, so
 * nothing ran (writes are refused while loading) and the request may be retried: a 503.
 */
function loading(reply: Reply): boolean {
  return reply instanceof ReplyError && reply.message.startsWith('LOADING ');
}

function encodeEntries(entries: Reply[], base64: boolean): string {
  let body = '[';
  for (let i = 0; i < entries.length; i++) {
    if (i > 0) body += ',';
    body += encodeEntry(entries[i]!, base64);
  }
  return `${body}]`;
}

function isWord(arg: Arg | undefined, word: string): boolean {
  return arg !== undefined && textOf(arg).toUpperCase() === word;
}

function mergeRefused(replies: Reply[], refused: (string | undefined)[]): Reply[] {
  const merged: Reply[] = new Array(refused.length);
  let next = 0;
  for (let i = 0; i < refused.length; i++) {
    const message = refused[i];
    merged[i] = message === undefined ? replies[next++]! : new ReplyError(message);
  }
  return merged;
}
