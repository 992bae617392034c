// Test cases for bot/analyzers/rules/javascript.yml, in semgrep's test format (`semgrep test`):
// an annotation names the rule that must, or must not, flag the line below it.
const cp = require("child_process");
const https = require("https");

function run(userInput, dir, comment, el, db, id, app) {
  // ruleid: js-eval
  eval(userInput);
  // ok: js-eval
  eval("2 + 2");
  // ruleid: js-child-process-shell
  cp.exec("rm -rf " + dir);
  // ok: js-child-process-shell
  cp.exec("ls");
  // ruleid: js-tls-verification-disabled
  const agent = new https.Agent({ rejectUnauthorized: false });
  // ok: js-tls-verification-disabled
  const other = new https.Agent({ keepAlive: true });
  // ruleid: js-inner-html
  el.innerHTML = comment;
  // ok: js-inner-html
  el.innerHTML = "<b>hi</b>";
  // ruleid: js-sql-template
  db.query(`SELECT * FROM t WHERE id = ${id}`);
  // ok: js-sql-template
  db.query("SELECT * FROM t WHERE id = ?", [id]);
  // ruleid: js-cors-wildcard-credentials
  app.use(cors({ origin: "*", credentials: true }));
  // ok: js-cors-wildcard-credentials
  app.use(cors({ origin: "https://a.example", credentials: true }));
  // ruleid: js-hardcoded-token-format
  const token = "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  // ok: js-hardcoded-token-format
  const name = "ghp_";
}
