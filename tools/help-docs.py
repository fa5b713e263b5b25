#!/usr/bin/env python3
"""Writes the man page (mmcheck.1) and the bash completion file of mmcheck from its own --help
output (the top level and every subcommand's), so neither can drift from the command line.
Run at build time by CMake; installed by `cmake --install`.

    tools/help-docs.py MMCHECK MAN_OUT COMPLETION_OUT
"""
import re
import subprocess
import sys


def help_text(binary, *args):
    return subprocess.run([binary, *args, "--help"], check=True, capture_output=True,
                          text=True).stdout


def sections(text):
    """The help's prose (before "Usage:"), its usage line, and its sections: name -> entries,
    each entry (names, type, description) from lines "  NAMES TYPE   description" and their
    indented continuations."""
    prose, usage, out, current = [], "", {}, None
    for line in text.splitlines():
        if line.startswith("Usage: "):
            usage = re.sub(r"^Usage: \S*mmcheck", "mmcheck", line)
        elif not usage:
            prose.append(line)
        elif re.match(r"^[A-Z][A-Za-z ]*:$", line):
            current = out.setdefault(line[:-1], [])
        elif current is not None and line.startswith("  ") and line.strip():
            if line.startswith("    ") and current:  # a continuation
                current[-1]["description"] += " " + line.strip()
                continue
            parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
            head = parts[0].split(" ", 1)
            current.append({"names": head[0].split(","), "type": head[1] if len(head) > 1 else "",
                            "description": parts[1] if len(parts) > 1 else ""})
    return "\n".join(prose).strip(), usage, out


def roff(text):
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + l if l.startswith((".", "'")) else l) for l in text.split("\n"))


def choices(kind):
    m = re.search(r"\{([^}]*)\}", kind)
    return m.group(1).split(",") if m else []


def main():
    binary, man_out, completion_out = sys.argv[1:4]
    prose, usage, top = sections(help_text(binary))
    subcommands = [(e["names"][0], e["description"]) for e in top.get("Subcommands", [])]
    summary, _, exit_status = prose.partition("\n")
    man = [".TH MMCHECK 1 \"\" \"mmcheck\" \"User Commands\"", ".SH NAME",
           roff(summary).replace("mmcheck: ", "mmcheck \\- ", 1), ".SH SYNOPSIS",
           ".B mmcheck", "\\fICOMMAND\\fR [\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR]",
           ".SH DESCRIPTION", "mmcheck is " + roff(summary.split(": ", 1)[1]),
           "Every command is described below from its \\fB\\-\\-help\\fR.",
           ".SH COMMANDS"]
    completion = {}
    for name, description in subcommands:
        _, sub_usage, sub = sections(help_text(binary, name))
        man += [".SS \"" + roff(sub_usage) + "\"", roff(description)]
        words, values, positional = [], {}, []
        for section in ("Positionals", "Options"):
            for e in sub.get(section, []):
                label = ", ".join("\\fB" + roff(n) + "\\fR" for n in e["names"])
                kind = e["type"].replace(" REQUIRED", "")
                man += [".TP", label + (" \\fI" + roff(kind) + "\\fR" if kind else ""),
                        roff(e["description"] + (" (required)" if "REQUIRED" in e["type"] else ""))]
                if section == "Options":
                    words += e["names"]
                    if kind:
                        values[e["names"][-1]] = (choices(kind) or
                                                  (["<number>"] if re.match("(UINT|INT|FLOAT)", kind)
                                                   else ["<file>"]))
                else:
                    positional.append(choices(kind))
        completion[name] = (words, values, positional)
    man += [".SH EXIT STATUS", roff(exit_status.replace("Exit status: ", "").replace("\n", " ")),
            ".SH SEE ALSO", "The README of mmcheck; \\fBmmcheck list presets\\fR, "
            "\\fBmmcheck list policies\\fR, \\fBmmcheck list ops \\-v\\fR."]
    with open(man_out, "w") as f:
        f.write("\n".join(man) + "\n")

    sh = ["# bash completion for mmcheck, generated from `mmcheck --help` by tools/help-docs.py.",
          "_mmcheck() {",
          "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}",
          "  if [[ $COMP_CWORD -eq 1 ]]; then",
          "    COMPREPLY=($(compgen -W '%s' -- \"$cur\"))" %
          " ".join([n for n, _ in subcommands] + ["--help", "--version"]),
          "    return",
          "  fi",
          "  case ${COMP_WORDS[1]} in"]
    for name, (words, values, positional) in completion.items():
        sh.append("    %s)" % name)
        sh.append("      case $prev in")
        for option, vals in values.items():
            if option == "--kernel":
                sh.append("        --kernel) COMPREPLY=($(compgen -W \"all $(mmcheck list presets "
                          "2>/dev/null | cut -d' ' -f1)\" -- \"$cur\")); return ;;")
            elif option == "--set":
                sh.append("        --set) compopt -o nospace; COMPREPLY=($(compgen -W \"$(mmcheck list "
                          "policies 2>/dev/null | cut -d' ' -f1 | sed 's/$/=/')\" -- \"$cur\")); "
                          "return ;;")
            elif vals == ["<number>"]:
                sh.append("        %s) COMPREPLY=(); return ;;" % option)
            elif vals == ["<file>"]:
                sh.append("        %s) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;" % option)
            else:
                sh.append("        %s) COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return ;;" %
                          (option, " ".join(vals)))
        sh.append("      esac")
        sh.append("      if [[ $cur == -* ]]; then")
        sh.append("        COMPREPLY=($(compgen -W '%s' -- \"$cur\"))" % " ".join(words))
        first = positional[0] if positional else []
        if first:
            sh.append("      elif [[ $COMP_CWORD -eq 2 ]]; then")
            sh.append("        COMPREPLY=($(compgen -W '%s' -- \"$cur\"))" % " ".join(first))
        elif name == "show":
            sh.append("      elif [[ $COMP_CWORD -eq 2 ]]; then")
            sh.append("        COMPREPLY=($(compgen -W \"$(mmcheck list presets 2>/dev/null | "
                      "cut -d' ' -f1)\" -- \"$cur\"))")
        sh.append("      else")
        sh.append("        COMPREPLY=($(compgen -f -- \"$cur\"))")
        sh.append("      fi")
        sh.append("      ;;")
    sh += ["  esac", "}", "complete -o filenames -F _mmcheck mmcheck"]
    with open(completion_out, "w") as f:
        f.write("\n".join(sh) + "\n")


main()
