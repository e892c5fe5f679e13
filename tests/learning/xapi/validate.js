// Validates xAPI statements with the npm package `xapi-validation` (Learning Locker's validator, not ours).
// stdin: a JSON array of statements. stdout: a JSON array, one entry per statement, each a list of
// {path, message} problems (empty = valid). Exit 0 whenever it could read its input.
'use strict';
const validate = require('xapi-validation').default;

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const statements = JSON.parse(input);
  const results = statements.map((statement) => validate(statement).map((warning) => ({
    path: (warning.path || []).join('.'),
    message: warning.constructor && warning.constructor.name !== 'Object'
      ? `${warning.constructor.name}: ${JSON.stringify(warning.data)}`
      : JSON.stringify(warning),
  })));
  process.stdout.write(JSON.stringify(results));
});
