"""tf_schema.py --schema FILE DIR [--no-required] (run through tf-schema.sh)

Checks every resource / data block in the *.tf files under DIR against the AWS provider
schema extract (schemas/aws-provider-resources.json, made by extract-aws-schema.py from the
npm package @cdktf/provider-aws):

  * the resource / data source type exists                      (aws_* types)
  * every argument and nested block name exists for that type, recursively,
    including inside `dynamic "x" { content { ... } }`
  * arguments are written as arguments (`x = ...`) and blocks as blocks (`x { ... }`);
    list/set-of-object arguments may also use block syntax (Terraform's "attributes as
    blocks", e.g. aws_security_group.ingress), whose keys are then checked too
  * required arguments / blocks are present                     (--no-required to skip)
  * a block that allows at most one instance appears at most once
  * no resource/data address is defined twice in a folder
  * the `provider "aws"` block's arguments, the lifecycle block's arguments
  * modules: every `module` call with a local source (`./x`, `../x`) names a folder with
    *.tf files; its arguments are the module's declared `variable`s; every variable without a
    default is passed; every `module.NAME.OUTPUT` reference names an `output` of the module;
    every `var.NAME` reference in a folder names a `variable` of that folder; `variable`
    blocks have known arguments and no name twice. The resources inside modules are checked
    like any other (every *.tf under DIR is).
Meta-arguments are ignored (count, for_each, depends_on, provider, lifecycle,
provisioner, connection; for module calls source, version, count, for_each, depends_on,
providers). References are found in the text, full-line comments left out. Types of other providers (random_*, tls_*, ...) are reported as
not checked. Values are not checked (no types, no references).

Each problem is printed as  FILE:LINE: TYPE.NAME: PATH: message
Last line: "N files, N errors (...)". Exit 0 = clean, 1 = errors, 2 = setup/usage problem.
"""
import difflib
import json
import os
import re
import sys

import hcl2
from lark import Tree, Token

SKIP_DIRS = {".git", ".terraform", "node_modules", "__pycache__"}

RESOURCE_META_ATTRS = {"count", "for_each", "depends_on", "provider"}
RESOURCE_META_BLOCKS = {"lifecycle", "provisioner", "connection"}
DATA_META_BLOCKS = {"lifecycle"}
LIFECYCLE_ATTRS = {"create_before_destroy", "prevent_destroy", "ignore_changes", "replace_triggered_by"}
LIFECYCLE_BLOCKS = {"precondition", "postcondition"}
CONDITION_ATTRS = {"condition", "error_message"}
DYNAMIC_ATTRS = {"for_each", "iterator", "labels"}
TOP_LEVEL = {"terraform", "provider", "variable", "locals", "output", "module", "resource", "data",
             "moved", "import", "removed", "check", "ephemeral"}
PROVIDER_META = {"alias", "version"}
MODULE_META = {"source", "version", "count", "for_each", "depends_on", "providers"}
VARIABLE_ATTRS = {"description", "type", "default", "sensitive", "nullable", "ephemeral"}
VARIABLE_BLOCKS = {"validation"}
VAR_REF = re.compile(r"(?<![\w.])var\.([A-Za-z_][\w-]*)")
MODULE_REF = re.compile(r"(?<![\w.])module\.([A-Za-z_][\w-]*)\.([A-Za-z_][\w-]*)")

# Terraform's built-in provider (no plugin, always available).
BUILTIN = {
    "resources": {"terraform_data": {"attributes": ["input", "triggers_replace"], "blocks": {}, "required": []}},
    "data_sources": {"terraform_remote_state": {"attributes": ["backend", "config", "defaults", "workspace"],
                                                "blocks": {}, "required": ["backend"]}},
}


def ident(tree):
    for t in tree.scan_values(lambda v: isinstance(v, Token)):
        return str(t)
    return "?"


def label_text(tree):
    if tree.data == "identifier":
        return ident(tree)
    return "".join(str(t) for c in tree.children if isinstance(c, Tree)
                   for t in c.scan_values(lambda v: isinstance(v, Token)))


def string_value(tree):
    """The text of an attribute whose value is a plain string literal, else None."""
    strings = list(tree.find_data("string"))
    if len(strings) != 1 or list(tree.find_data("interpolation")):
        return None
    return "".join(str(c.children[0]) for c in strings[0].children
                   if isinstance(c, Tree) and c.data == "string_part")


def line_of(tree):
    return tree.meta.line if not tree.meta.empty else 0


def split_block(block):
    """block tree -> (type, [labels], body tree)"""
    kids = [c for c in block.children if isinstance(c, Tree)]
    btype = ident(kids[0])
    labels = [label_text(c) for c in kids[1:] if c.data in ("identifier", "string")]
    body = next((c for c in kids if c.data == "body"), None)
    return btype, labels, body


def items(body):
    """Yield ('attr', name, tree) / ('block', (type, labels, body), tree) for a body."""
    if body is None:
        return
    for ch in body.children:
        if isinstance(ch, Tree):
            if ch.data == "attribute":
                yield "attr", ident(ch.children[0]), ch
            elif ch.data == "block":
                yield "block", split_block(ch), ch


def suggest(name, candidates):
    """' (did you mean ...?)' with up to two close names: difflib similarity, then ranked
    by shared words and common prefix (instance_type -> instance_class before storage_type)."""
    cands = difflib.get_close_matches(name, list(candidates), n=6, cutoff=0.55)
    if not cands:
        return ""
    words = set(name.split("_"))

    def score(c):
        prefix = len(os.path.commonprefix([name, c]))
        return (len(words & set(c.split("_"))), prefix, difflib.SequenceMatcher(None, name, c).ratio())
    best = sorted(cands, key=score, reverse=True)[:2]
    return " (did you mean %s?)" % " or ".join(repr(b) for b in best)


class Checker:
    def __init__(self, schema, check_required=True):
        self.schema = schema
        self.check_required = check_required
        self.errors = 0
        self.notes = []

    def err(self, f, line, addr, path, msg):
        self.errors += 1
        print("%s:%d: %s: %s%s" % (f, line, addr, (path + ": ") if path else "", msg))

    def check_body(self, f, addr, rtype, body, node, path, meta_attrs=(), meta_blocks=(), top_line=0,
                   check_required=True):
        attrs = set(node.get("attributes", []))
        blocks = node.get("blocks", {})
        objattrs = node.get("object_attributes", {})
        seen_attrs = {}
        block_count = {}
        dynamic_blocks = set()
        for kind, what, tree in items(body):
            line = line_of(tree)
            if kind == "attr":
                name = what
                full = (path + "." + name) if path else name
                if name in meta_attrs:
                    continue
                seen_attrs[name] = line
                if name in attrs:
                    continue
                if name in blocks:
                    if blocks[name].get("opaque"):
                        continue
                    self.err(f, line, addr, full, "%r is a block, not an argument: write `%s { ... }`"
                             % (name, name))
                else:
                    self.err(f, line, addr, full, "unknown argument%s" % suggest(name, attrs | set(blocks)))
                continue
            btype, labels, sub = what
            full = (path + "." + btype) if path else btype
            if btype in meta_blocks:
                if btype == "lifecycle":
                    self.check_lifecycle(f, addr, sub, full)
                continue  # provisioner / connection: not checked
            if btype == "dynamic":
                if len(labels) != 1:
                    self.err(f, line, addr, full, "dynamic block needs exactly one label")
                    continue
                target = labels[0]
                tfull = (path + "." + target) if path else target
                if target not in blocks:
                    if target in attrs:
                        self.err(f, line, addr, tfull, "dynamic %r: %r is an argument, not a block" % (target, target))
                    else:
                        self.err(f, line, addr, tfull, "dynamic block of unknown block type%s"
                                 % suggest(target, blocks))
                    continue
                dynamic_blocks.add(target)
                content = None
                for k2, w2, t2 in items(sub):
                    if k2 == "attr" and w2 not in DYNAMIC_ATTRS:
                        self.err(f, line_of(t2), addr, tfull, "unknown argument %r in dynamic block" % w2)
                    elif k2 == "block":
                        if w2[0] == "content":
                            content = w2[2]
                        else:
                            self.err(f, line_of(t2), addr, tfull, "unexpected block %r in dynamic block" % w2[0])
                if content is None:
                    self.err(f, line, addr, tfull, "dynamic block without a content block")
                elif blocks[target].get("opaque"):
                    pass
                else:
                    self.check_body(f, addr, rtype, content, blocks[target], tfull)
                continue
            if btype in blocks and blocks[btype].get("opaque"):
                block_count[btype] = block_count.get(btype, 0) + 1
                continue  # content unknown to the extract (see its notes)
            if btype in blocks:
                if labels:
                    self.err(f, line, addr, full, "block %r takes no labels" % btype)
                block_count[btype] = block_count.get(btype, 0) + 1
                self.check_body(f, addr, rtype, sub, blocks[btype], full)
            elif btype in objattrs and objattrs[btype].get("nesting") in ("list", "set"):
                # "attributes as blocks": Terraform accepts `x { ... }` for a list/set-of-object
                # attribute (e.g. aws_security_group.ingress); check the keys, not required-ness
                if labels:
                    self.err(f, line, addr, full, "block %r takes no labels" % btype)
                seen_attrs[btype] = line
                self.check_body(f, addr, rtype, sub, objattrs[btype], full, check_required=False)
            elif btype in attrs:
                seen_attrs[btype] = line
                self.err(f, line, addr, full, "%r is an argument, not a block: write `%s = ...`" % (btype, btype))
            else:
                self.err(f, line, addr, full, "unknown block type%s" % suggest(btype, set(blocks) | attrs))
        for b, n in block_count.items():
            if n > 1 and blocks[b].get("nesting") == "single" and b not in dynamic_blocks:
                self.err(f, top_line, addr, (path + "." + b) if path else b,
                         "at most one %r block is allowed, found %d" % (b, n))
        if self.check_required and check_required:
            for r in node.get("required", []):
                if r not in seen_attrs and r not in block_count and r not in dynamic_blocks:
                    what = "block" if r in blocks else "argument"
                    self.err(f, top_line, addr, (path + "." + r) if path else r, "missing required %s" % what)

    def check_lifecycle(self, f, addr, body, path):
        for kind, what, tree in items(body):
            if kind == "attr":
                if what not in LIFECYCLE_ATTRS:
                    self.err(f, line_of(tree), addr, path + "." + what,
                             "unknown lifecycle argument%s" % suggest(what, LIFECYCLE_ATTRS))
            else:
                btype, _labels, sub = what
                if btype not in LIFECYCLE_BLOCKS:
                    self.err(f, line_of(tree), addr, path + "." + btype, "unknown lifecycle block")
                    continue
                for k2, w2, t2 in items(sub):
                    if k2 == "attr" and w2 not in CONDITION_ATTRS:
                        self.err(f, line_of(t2), addr, path + "." + btype + "." + w2, "unknown argument")

    def lookup(self, section, rtype):
        node = self.schema.get(section, {}).get(rtype)
        if node is None:
            node = BUILTIN[section].get(rtype)
        return node


def check_modules(chk, root, variables, outputs, calls, var_refs, module_refs):
    """Module calls against the modules' variables and outputs, and var.* references against
    each folder's variables. Returns how many calls were checked."""
    targets = {}  # (dir, module name) -> module dir
    n = 0
    for f, line, here, name, source, args in calls:
        addr = "module %r" % name
        if source is None:
            chk.err(f, line, addr, "source", "missing, or not a plain string")
            continue
        if not source.startswith(("./", "../")):
            print("note: %s:%d: %s: source %r is not a local folder, not checked" % (f, line, addr, source))
            continue
        target = os.path.normpath(os.path.join(here, source))
        declared = variables.get(target)
        if not os.path.isdir(target) or not any(x.endswith(".tf") for x in os.listdir(target)):
            chk.err(f, line, addr, "source", "%r: no folder with *.tf files there" % source)
            continue
        if not os.path.abspath(target).startswith(os.path.abspath(root)):
            print("note: %s:%d: %s: source %r is outside %s, not checked" % (f, line, addr, source, root))
            continue
        n += 1
        targets[(here, name)] = target
        declared = declared or {}
        for arg, aline in sorted(args.items(), key=lambda a: a[1]):
            if arg in MODULE_META or arg in declared:
                continue
            chk.err(f, aline, addr, arg, "the module declares no variable %r%s" % (arg, suggest(arg, declared)))
        for var, (has_default, where) in sorted(declared.items()):
            if not has_default and var not in args:
                chk.err(f, line, addr, var, "missing required input (variable without a default, %s)" % where)
    for f, line, here, name in var_refs:
        if name not in variables.get(here, {}):
            chk.err(f, line, "var.%s" % name, "", "no variable %r is declared in this folder%s"
                    % (name, suggest(name, variables.get(here, {}))))
    for f, line, here, name, output in module_refs:
        target = targets.get((here, name))
        if target is None:
            if not any(c[2] == here and c[3] == name for c in calls):
                chk.err(f, line, "module.%s" % name, "", "no module %r is called in this folder" % name)
            continue
        if output not in outputs.get(target, set()):
            chk.err(f, line, "module.%s.%s" % (name, output), "", "the module has no output %r%s"
                    % (output, suggest(output, outputs.get(target, set()))))
    return n


def display(p):
    r = os.path.relpath(p)
    return p if r.startswith("..") else r


def main(argv):
    args = argv[1:]
    schema_path = None
    check_required = True
    if "--schema" in args:
        i = args.index("--schema")
        schema_path = args[i + 1] if i + 1 < len(args) else None
        del args[i:i + 2]
    if "--no-required" in args:
        args.remove("--no-required")
        check_required = False
    if len(args) != 1 or not os.path.isdir(args[0]) or not schema_path:
        print(__doc__)
        print("0 files, 1 errors")
        return 2
    root = args[0]
    if not os.path.isfile(schema_path):
        print("error: schema extract %s not found" % schema_path)
        print("0 files, 1 errors")
        return 2
    with open(schema_path, encoding="utf-8") as fh:
        schema = json.load(fh)
    print("schema: %s (AWS provider %s, %d resources, %d data sources), python-hcl2 %s" % (
        os.path.basename(schema_path), schema.get("provider_version"), len(schema["resources"]),
        len(schema["data_sources"]), hcl2.__version__))
    chk = Checker(schema, check_required)

    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        files += [os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".tf")]

    addresses = {}  # (module dir, kind, type, name) -> file:line
    variables = {}  # dir -> {name: (has default, file:line)}
    outputs = {}    # dir -> {name}
    calls = []      # (file, line, dir, name, source, {argument: line})
    var_refs = []   # (file, line, dir, name)
    module_refs = []  # (file, line, dir, module, output)
    not_checked = {}
    major = str(schema.get("provider_version", "")).split(".")[0]
    n_blocks = 0
    for p in files:
        f = display(p)
        try:
            tree = hcl2.parses_to_tree(open(p, encoding="utf-8").read())
        except Exception as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            chk.err(f, getattr(e, "line", 0) or 0, "(file)", "", "cannot parse: %s" % first)
            continue
        here = os.path.dirname(p)
        with open(p, encoding="utf-8") as fh:
            for n, text in enumerate(fh, 1):
                if text.lstrip().startswith("#"):
                    continue
                var_refs += [(f, n, here, m.group(1)) for m in VAR_REF.finditer(text)]
                module_refs += [(f, n, here, m.group(1), m.group(2)) for m in MODULE_REF.finditer(text)]
        body = next((c for c in tree.children if isinstance(c, Tree) and c.data == "body"), tree)
        for kind, what, t in items(body):
            line = line_of(t)
            if kind == "attr":
                chk.err(f, line, "(top level)", what, "arguments are not allowed at the top level of a file")
                continue
            btype, labels, sub = what
            if btype not in TOP_LEVEL:
                chk.err(f, line, "(top level)", btype, "unknown top-level block type%s" % suggest(btype, TOP_LEVEL))
                continue
            if btype in ("resource", "data"):
                if len(labels) != 2:
                    chk.err(f, line, btype, "", "%s block needs 2 labels (type and name)" % btype)
                    continue
                rtype, rname = labels
                addr = ("data." if btype == "data" else "") + rtype + "." + rname
                key = (os.path.dirname(p), btype, rtype, rname)
                if key in addresses:
                    chk.err(f, line, addr, "", "duplicate %s block (first defined at %s)" % (btype, addresses[key]))
                else:
                    addresses[key] = "%s:%d" % (f, line)
                section = "resources" if btype == "resource" else "data_sources"
                node = chk.lookup(section, rtype)
                if node is None:
                    prefix = rtype.split("_", 1)[0]
                    if prefix == "aws":
                        pool = schema[section]
                        chk.err(f, line, addr, "", "unknown %s type %r%s" % (
                            "resource" if btype == "resource" else "data source", rtype, suggest(rtype, pool)))
                    else:
                        not_checked.setdefault(prefix, set()).add(rtype)
                    continue
                n_blocks += 1
                chk.check_body(f, addr, rtype, sub, node, "",
                               meta_attrs=RESOURCE_META_ATTRS,
                               meta_blocks=RESOURCE_META_BLOCKS if btype == "resource" else DATA_META_BLOCKS,
                               top_line=line)
            elif btype == "variable":
                if len(labels) != 1:
                    chk.err(f, line, "variable", "", "variable block needs exactly one label")
                    continue
                name = labels[0]
                declared = variables.setdefault(here, {})
                if name in declared:
                    chk.err(f, line, "variable %r" % name, "", "declared twice (first at %s)" % declared[name][1])
                    continue
                has_default = False
                for k2, w2, t2 in items(sub):
                    if k2 == "attr":
                        has_default = has_default or w2 == "default"
                        if w2 not in VARIABLE_ATTRS:
                            chk.err(f, line_of(t2), "variable %r" % name, w2,
                                    "unknown argument%s" % suggest(w2, VARIABLE_ATTRS))
                    elif w2[0] not in VARIABLE_BLOCKS:
                        chk.err(f, line_of(t2), "variable %r" % name, w2[0], "unknown block type")
                declared[name] = (has_default, "%s:%d" % (f, line))
            elif btype == "output" and len(labels) == 1:
                outputs.setdefault(here, set()).add(labels[0])
            elif btype == "module" and len(labels) == 1:
                args, source = {}, None
                for k2, w2, t2 in items(sub):
                    if k2 == "attr":
                        args[w2] = line_of(t2)
                        if w2 == "source":
                            source = string_value(t2)
                calls.append((f, line, here, labels[0], source, args))
            elif btype == "provider" and labels[:1] == ["aws"] and schema.get("provider"):
                n_blocks += 1
                chk.check_body(f, 'provider "aws"', "aws", sub, schema["provider"], "",
                               meta_attrs=PROVIDER_META, top_line=line)
            elif btype == "terraform":
                for k2, w2, t2 in items(sub):
                    if k2 == "block" and w2[0] == "required_providers":
                        for k3, w3, t3 in items(w2[2]):
                            if k3 == "attr" and w3 == "aws":
                                txt = "".join(str(x) for x in t3.scan_values(lambda v: isinstance(v, Token)))
                                m = re.search(r'version\s*=\s*"([^"]*)"', txt)
                                if m and major and not re.search(r"(^|[^\d.])%s(\.|\s|$|,)" % major, m.group(1)):
                                    print("%s:%d: WARN required_providers.aws.version %r does not mention "
                                          "major %s; the schema extract is for %s" % (
                                              f, line_of(t3), m.group(1).strip(), major,
                                              schema.get("provider_version")))
    n_calls = check_modules(chk, root, variables, outputs, calls, var_refs, module_refs)
    for prefix, types in sorted(not_checked.items()):
        print("note: no schema for provider %r, not checked: %s" % (prefix, ", ".join(sorted(types))))
    print("%d files, %d errors (%d resource/data/provider blocks, %d module calls checked)" % (
        len(files), chk.errors, n_blocks, n_calls))
    return 1 if chk.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
