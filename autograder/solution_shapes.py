"""Find a solution region's code elsewhere, whatever its names: the shape of its statements.

A region of ``solutions/backprop_lib/*.py`` (``### BEGIN SOLUTION`` ... ``### END SOLUTION``) is
handed out when some code holds the same statements in the same order, even with other names,
attributes or numbers (lesson 5 once showed ``MLP.forward``'s loop as a helper over ``layers``
instead of ``self.layers``). A statement's shape is its syntax tree with every name, attribute and
constant made alike; a region is found in code when a block of that code (a module, function or
loop body) holds the region's shapes one after another.
"""

import ast
import textwrap

from .solution_markers import BEGIN, END


class _Blank(ast.NodeTransformer):
    """Every name, attribute chain, constant and argument name made alike."""

    def visit_Attribute(self, node):
        return ast.Name(id="_", ctx=node.ctx)

    def visit_Name(self, node):
        return ast.Name(id="_", ctx=node.ctx)

    def visit_Constant(self, node):
        return ast.Constant(value=0)

    def visit_arg(self, node):
        return ast.arg(arg="_")


def shape(statement):
    """The shape of one statement: its syntax tree's dump with names and constants blanked."""
    return ast.dump(_Blank().visit(statement), annotate_fields=False)


def region_shapes(text):
    """[(region tag, [shape of each top-level statement])] of a solution file's regions."""
    lines, start, found = text.splitlines(), None, []
    for number, line in enumerate(lines):
        if BEGIN in line:
            start, tag = number, line.split(BEGIN, 1)[1].strip()
        elif END in line and start is not None:
            code = textwrap.dedent("\n".join(lines[start + 1:number]))
            found.append((tag, [shape(statement) for statement in ast.parse(code).body]))
            start = None
    return found


def _blocks(tree):
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                yield block


def holds(code, shapes):
    """Whether Python ``code`` (text) holds the statements ``shapes`` one after another in one block;
    False for code that does not parse."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    for block in _blocks(tree):
        seen = [shape(statement) for statement in block]
        if any(seen[k:k + len(shapes)] == shapes for k in range(len(seen) - len(shapes) + 1)):
            return True
    return False
