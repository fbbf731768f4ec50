// Runs an actions/github-script `script:` as the action does (an async function of github,
// context, core and require), with GitHub's REST API answered from a fixture: the harness
// cannot reach GitHub, so the test states what GitHub would answer and reads back which calls
// were made. Usage: node github_script.js <script.js> <run.json>; run.json holds `context`,
// `api` ({"issues.listEvents": data, ...}) and gets `outputs`, `calls` and `messages` back.
'use strict';
const fs = require('fs');

const [scriptPath, runPath] = process.argv.slice(2);
const run = JSON.parse(fs.readFileSync(runPath, 'utf8'));
const outputs = {};
const calls = [];
const messages = [];

function endpoint(name) {
  const call = async (params) => {
    calls.push({ name, params });
    if (!(name in run.api)) {
      throw new Error(`the test gave no answer for ${name}`);
    }
    return { data: run.api[name] };
  };
  call.endpointName = name;
  return call;
}

const github = {
  rest: new Proxy({}, {
    get: (_, namespace) => new Proxy({}, {
      get: (__, method) => endpoint(`${namespace}.${method}`),
    }),
  }),
  paginate: async (call, params) => (await call(params)).data,
};
const say = (level) => (message) => messages.push({ level, message: String(message) });
const core = {
  setOutput: (key, value) => { outputs[key] = String(value); },
  info: say('info'),
  notice: say('notice'),
  warning: say('warning'),
  error: say('error'),
  setFailed: (message) => { say('failed')(message); process.exitCode = 1; },
};

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
const script = new AsyncFunction('github', 'context', 'core', 'require', fs.readFileSync(scriptPath, 'utf8'));
script(github, run.context, core, require)
  .catch((error) => { say('failed')(error.stack || error); process.exitCode = 1; })
  .finally(() => fs.writeFileSync(runPath, JSON.stringify({ ...run, outputs, calls, messages })));
