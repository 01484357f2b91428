/** The option loop of `npm run simulator`, `npm run chaos` and `npm run bench`. */
import * as assert from "assert";
import { readOptions } from "../../src/cli/options";

function parse(argv: string[]): Array<[string, string | null]> {
  const seen: Array<[string, string | null]> = [];
  readOptions(argv, "usage", (flag, value) => {
    if (flag === "--port" || flag === "--host") seen.push([flag, value()]);
    else if (flag === "--quiet") seen.push([flag, null]);
    else return false;
    return true;
  });
  return seen;
}

describe("readOptions", () => {
  it("reads `--flag value`, `--flag=value` and switches, in order", () => {
    assert.deepStrictEqual(parse(["--port", "4599", "--quiet", "--host=127.0.0.1"]), [
      ["--port", "4599"],
      ["--quiet", null],
      ["--host", "127.0.0.1"],
    ]);
  });

  it("a value may itself start with -- (e.g. --node-flags --trace-gc) or contain =", () => {
    assert.deepStrictEqual(parse(["--host", "--x", "--port=a=b"]), [
      ["--host", "--x"],
      ["--port", "a=b"],
    ]);
  });

  it("names a missing value and an unknown option", () => {
    assert.throws(() => parse(["--port"]), /^Error: --port needs a value$/);
    assert.throws(() => parse(["--prot", "1"]), /^Error: unknown option --prot$/);
    assert.throws(() => parse(["--prot=1"]), /^Error: unknown option --prot=1$/);
  });
});
