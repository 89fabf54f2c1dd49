/** The lane's kept answers (src/http/owner-answers.ts): kept only for frozen records, one per scope list, never across a new record. */
import { expect, test } from 'vitest';
import { OwnerAnswers } from '../../src/http/owner-answers.js';

test('an answer is built once per frozen user, app and scope list, and again for a record that replaced them', () => {
  const answers = new OwnerAnswers();
  let built = 0;
  const build = (name: string) => () => ({ name, n: ++built });
  const user = Object.freeze({ id: 'u1', name: 'Ada' });
  const app = Object.freeze({ clientId: 'a1' });
  expect(answers.json(user, app, ['login:info'], build('Ada'))).toBe('{"name":"Ada","n":1}');
  expect(answers.json(user, app, ['login:info'], build('Ada'))).toBe('{"name":"Ada","n":1}');
  expect(answers.json(user, app, ['login:info', 'login:email'], build('Ada'))).toBe('{"name":"Ada","n":2}');
  // The same row at a new version: a new object, so a new answer.
  const renamed = Object.freeze({ id: 'u1', name: 'Ada L.' });
  expect(answers.json(renamed, app, ['login:info'], build('Ada L.'))).toBe('{"name":"Ada L.","n":3}');
  expect(answers.json(user, Object.freeze({ clientId: 'a1' }), ['login:info'], build('Ada'))).toBe('{"name":"Ada","n":4}');
});

test('records that are not frozen, or missing, and answers that are refused are never kept', () => {
  const answers = new OwnerAnswers();
  let built = 0;
  const build = () => ({ n: ++built });
  const user = { id: 'u1' };
  const app = Object.freeze({ clientId: 'a1' });
  expect(answers.json(user, app, [], build)).toBe('{"n":1}');
  expect(answers.json(user, app, [], build)).toBe('{"n":2}');
  expect(answers.json(null, app, [], build)).toBe('{"n":3}');
  const frozen = Object.freeze({ id: 'u2' });
  let refusals = 0;
  expect(answers.json(frozen, app, [], () => (refusals++, null))).toBeNull();
  expect(answers.json(frozen, app, [], () => (refusals++, null))).toBeNull();
  expect(refusals).toBe(2);
});
