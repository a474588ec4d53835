"""Parse every *.tf file under a folder with python-hcl2.

Errors:
  * python-hcl2 cannot parse the file (syntax error), with line/column;
  * the same argument is set twice in one block (Terraform's "Attribute redefined", which
    python-hcl2 accepts, keeping the last value).

Usage: hcl_parse.py DIR. Last line: "N files, N errors".
"""
import os
import sys

import hcl2
from lark import Tree, Token

SKIP_DIRS = {".git", ".terraform", "node_modules", "__pycache__"}


def ident(tree):
    for t in tree.scan_values(lambda v: isinstance(v, Token)):
        return str(t)
    return "?"


def label_text(tree):
    """Text of a block type / label: identifier or "quoted string"."""
    if tree.data == "identifier":
        return ident(tree)
    return "".join(str(t) for c in tree.children if isinstance(c, Tree)
                   for t in c.scan_values(lambda v: isinstance(v, Token)))


def duplicate_attributes(tree, path):
    """Yield (line, message) for arguments set twice in the same body."""
    def walk(node, where):
        if not isinstance(node, Tree):
            return
        if node.data == "body":
            seen = {}
            for ch in node.children:
                if isinstance(ch, Tree) and ch.data == "attribute":
                    name = ident(ch.children[0])
                    line = ch.meta.line if not ch.meta.empty else 0
                    if name in seen:
                        yield line, "argument %r set twice in %s (first at line %d): Terraform rejects this " \
                                    "(Attribute redefined)" % (name, where, seen[name])
                    else:
                        seen[name] = line
        for ch in node.children:
            if isinstance(ch, Tree):
                sub = where
                if ch.data == "block":
                    sub = " ".join(label_text(c) for c in ch.children
                                   if isinstance(c, Tree) and c.data in ("identifier", "string")) or "block"
                yield from walk(ch, sub)
    yield from walk(tree, "the top level")


def display(p):
    r = os.path.relpath(p)
    return p if r.startswith("..") else r


def main(argv):
    if len(argv) != 2:
        print("usage: hcl_parse.py DIR")
        return 2
    files = []
    for dirpath, dirnames, filenames in os.walk(argv[1]):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        files += [os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".tf")]

    print("python-hcl2 %s" % getattr(hcl2, "__version__", "?"))
    errors = 0
    for p in files:
        rp = display(p)
        ferr = 0
        with open(p, encoding="utf-8") as fh:
            text = fh.read()
        try:
            hcl2.loads(text)
            tree = hcl2.parses_to_tree(text)
            for line, msg in duplicate_attributes(tree, rp):
                print("ERROR %s:%d: %s" % (rp, line, msg))
                ferr += 1
        except Exception as e:  # lark.exceptions.UnexpectedInput and friends
            line = getattr(e, "line", None)
            col = getattr(e, "column", None)
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            loc = ("%s:%s:%s" % (rp, line, col)) if line else rp
            print("ERROR %s: python-hcl2 parse error: %s" % (loc, first))
            ferr += 1
        if not ferr:
            print("ok    %s" % rp)
        errors += ferr
    print("%d files, %d errors" % (len(files), errors))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
