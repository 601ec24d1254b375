// The TypeScript half of the drift check: @raven/types' declarations must describe exactly what
// clients/typescript/contract.json says, and ContractExportTests (C#) keeps that file equal to the server's types.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { contractPath, createProgram, describeTypeScript, diffContracts, loadTypeScript, packageDir } from './contract-shape.mjs';

const ts = loadTypeScript();
const contract = JSON.parse(readFileSync(contractPath, 'utf8'));
const eventsFile = join(packageDir, 'src', 'events.ts');
const restFile = join(packageDir, 'src', 'rest.ts');

function diffWith(file, edit) {
  const source = readFileSync(file, 'utf8');
  const changed = edit(source);
  assert.notEqual(changed, source, 'the edit must change the source');
  return diffContracts(contract, describeTypeScript(ts, createProgram(ts, { [file]: changed }), contract));
}

test('the TypeScript declarations match the server contract', () => {
  const differences = diffContracts(contract, describeTypeScript(ts, createProgram(ts), contract));
  assert.deepEqual(differences, [], 'clients/typescript/src differs from contract.json:\n' + differences.join('\n'));
});

test('the contract covers every event, error code and REST record', () => {
  assert.equal(Object.keys(contract.socket.clientToServer).length, 4);
  assert.equal(Object.keys(contract.socket.serverToClient).length, 8);
  assert.ok(contract.socket.errorCodes.includes('SEND_MESSAGE_FAILED'));
  for (const name of ['UserDto', 'MessageDto', 'PaginationDto', 'ConversationListDto', 'FriendDto', 'PresignedUploadDto', 'TokenDto']) {
    assert.ok(contract.rest[name], `${name} is in the contract`);
  }
});

test('a renamed event, field, changed field type or error code in TypeScript is reported', () => {
  const renamedEvent = diffWith(eventsFile, (s) => s.replace('  new_message: (payload', '  new_messages: (payload'));
  assert.ok(renamedEvent.some((d) => d.includes("'new_message' is not in the TypeScript event map")), renamedEvent.join('\n'));

  const renamedField = diffWith(eventsFile, (s) => s.replace('  senderName: string;', '  sender_name: string;'));
  assert.ok(renamedField.some((d) => d.includes('new_message.payload.senderName')), renamedField.join('\n'));

  const retyped = diffWith(restFile, (s) => s.replace('  unreadCount: number;', '  unreadCount: string;'));
  assert.ok(retyped.some((d) => d.includes('ConversationListItemDto.unreadCount: server says number, TypeScript says string')), retyped.join('\n'));

  const nullability = diffWith(eventsFile, (s) => s.replace('  text: string | null;\n  url: string | null;', '  text: string;\n  url: string | null;'));
  assert.ok(nullability.some((d) => d.includes('new_message.payload.text')), nullability.join('\n'));

  const code = diffWith(eventsFile, (s) => s.replace("  | 'LEAVE_FAILED'\n", ''));
  assert.ok(code.some((d) => d.startsWith('socket.errorCodes')), code.join('\n'));

  const ack = diffWith(eventsFile, (s) => s.replace('  send_message: NewMessagePayload;', '  send_message: MessageDeletedPayload;'));
  assert.ok(ack.some((d) => d.includes('send_message.ack')), ack.join('\n'));
});

test('a change on the server side (as contract.json regenerated from C#) is reported', () => {
  const described = describeTypeScript(ts, createProgram(ts), contract);
  const changed = structuredClone(contract);
  changed.socket.serverToClient.friend_status_changed.payload.last_seen = 'string';
  changed.socket.clientToServer.join_conversation.payload = { conversationId: 'string' };
  changed.socket.connectErrorCodes.push('SESSION_REVOKED');
  changed.rest.UserDto.fields.avatar = 'string';
  const differences = diffContracts(changed, described);
  for (const expected of ['friend_status_changed.payload.last_seen', 'join_conversation.payload.conversationId', 'socket.connectErrorCodes', 'rest.UserDto.avatar']) {
    assert.ok(differences.some((d) => d.includes(expected)), `${expected} not reported:\n${differences.join('\n')}`);
  }
});
