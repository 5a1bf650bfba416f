#!/usr/bin/env python3
"""Compiles every ```cpp block of README.md and docs/*.md against herald's public headers.

Each block becomes the body of a main() of its own (its #include lines hoisted to the top). A
block that uses names it does not declare gets them from an HTML comment right above it:
<!-- snippet-context: herald::Engine engine; std::string body; -->
Usage: check_snippets.py SOURCE_DIR BUILD_DIR OUT_DIR CXX [CXXFLAGS...]
"""
import pathlib
import re
import subprocess
import sys

PREAMBLE = """#include <herald/aksk.hpp>
#include <herald/herald.hpp>
#include <herald/rest.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>
{includes}
namespace {{
[[maybe_unused]] bool looks_like_url(std::string_view) {{ return true; }}
[[maybe_unused]] bool post(std::string_view, std::string_view) {{ return true; }}
}}  // namespace

int main() {{
{context}
{body}
  return 0;
}}
"""


def blocks(path):
    """(first line number, context, code) of each ```cpp block of the file."""
    lines = path.read_text().splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```cpp":
            context = ""
            previous = lines[i - 1].strip() if i > 0 else ""
            match = re.fullmatch(r"<!--\s*snippet-context:(.*)-->", previous)
            if match:
                context = match.group(1).strip()
            start = i + 1
            j = start
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            yield start + 1, context, lines[start:j]
            i = j
        i += 1


def main():
    source, build, out, cxx, *flags = sys.argv[1:]
    source, build, out = pathlib.Path(source), pathlib.Path(build), pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = [source / "README.md"] + sorted((source / "docs").glob("*.md"))
    failures = 0
    count = 0
    for path in files:
        for line, context, code in blocks(path):
            count += 1
            includes = [c for c in code if c.startswith("#include")]
            body = [c for c in code if not c.startswith("#include")]
            name = f"{path.stem}_{line}.cpp"
            program = out / name
            program.write_text(PREAMBLE.format(includes="\n".join(includes), context=context,
                                               body="\n".join(body)))
            command = [cxx, "-std=c++20", "-fsyntax-only", "-Wall", "-Werror", "-Wno-unused",
                       f"-I{source / 'include'}", f"-I{build / 'include'}",
                       "-DHERALD_STATIC_DEFINE", "-DHERALD_API_STATIC_DEFINE", *flags,
                       str(program)]
            result = subprocess.run(command, capture_output=True, text=True)
            where = f"{path.relative_to(source)}:{line}"
            if result.returncode != 0:
                failures += 1
                print(f"FAIL {where} (as {program}):\n{result.stderr}")
            else:
                print(f"ok   {where}")
    if count == 0:
        print("no ```cpp block found")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
