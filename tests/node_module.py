"""Run a function body against one of the page's ES modules in Node.js, for unit tests of the page's plain
JavaScript (no DOM)."""
import json
import shutil
import subprocess

NODE = shutil.which("node")  # the site's build needs Node.js too (npm ci)


def run_js(module_path, body, data=None, name="mod"):
    """Run `body` (an async function body with `name` = the module at `module_path` and `data` = the JSON
    given) in Node; returns what it returns, through JSON."""
    assert NODE, "Node.js is needed to test the page's JavaScript (and to build the site): install it"
    script = (f"const {name} = await import({json.dumps(module_path.as_uri())});\n"
              "const data = JSON.parse((await import('node:fs')).readFileSync(0, 'utf8'));\n"
              f"const result = await (async () => {{ {body} }})();\n"
              "process.stdout.write(JSON.stringify(result));")
    done = subprocess.run([NODE, "--input-type=module", "-e", script],
                          input=json.dumps(data), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
