"""Apply an OpenAPI Overlay 1.0 document to an OpenAPI description (small, dependency-light).

Supports the JSONPath subset the overlay uses: `$`, `.name`, `['name']`, `["name"]`.
`update` merges objects recursively (scalars and arrays in the update replace the target's);
`remove: true` deletes the target. A target that matches nothing is an error, so a stale
overlay cannot pass silently.

usage: apply_overlay.py SPEC OVERLAY OUT
"""
import re
import sys

import yaml

TOKEN = re.compile(r"\.([A-Za-z0-9_\-]+)|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]")


def parse_path(path):
    if not path.startswith("$"):
        raise SystemExit(f"overlay target must start with $: {path}")
    rest, keys, pos = path[1:], [], 0
    while pos < len(rest):
        m = TOKEN.match(rest, pos)
        if not m:
            raise SystemExit(f"unsupported JSONPath syntax in {path!r} at {rest[pos:]!r}")
        keys.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
    return keys


def resolve(doc, keys, path):
    node = doc
    for k in keys:
        if not isinstance(node, dict) or k not in node:
            raise SystemExit(f"overlay target not found: {path}")
        node = node[k]
    return node


def merge(target, update):
    for k, v in update.items():
        if isinstance(v, dict) and isinstance(target.get(k), dict):
            merge(target[k], v)
        else:
            target[k] = v


def main():
    spec_path, overlay_path, out_path = sys.argv[1:4]
    with open(spec_path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    with open(overlay_path, encoding="utf-8") as f:
        overlay = yaml.safe_load(f)
    if str(overlay.get("overlay", "")).split(".")[0] != "1":
        raise SystemExit("only Overlay 1.x documents are supported")
    for action in overlay["actions"]:
        path = action["target"]
        keys = parse_path(path)
        if action.get("remove"):
            parent = resolve(doc, keys[:-1], path)
            if keys[-1] not in parent:
                raise SystemExit(f"overlay target not found: {path}")
            del parent[keys[-1]]
        elif "update" in action:
            target = resolve(doc, keys, path)
            if not isinstance(target, dict):
                raise SystemExit(f"update target is not an object: {path}")
            merge(target, action["update"])
        print(f"overlay: applied {'remove' if action.get('remove') else 'update'} {path}")
    with open(out_path, "w", encoding="utf-8") as f:
        yaml.safe_dump(doc, f, sort_keys=False, allow_unicode=True)


if __name__ == "__main__":
    main()
