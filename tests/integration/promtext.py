# SPDX-License-Identifier: Apache-2.0
"""A strict parser of the Prometheus text exposition format 0.0.4, for the metrics tests
(no third-party parser is needed, and this one refuses more than Prometheus does):
every sample belongs to a family declared by `# TYPE` before it; `# HELP` and `# TYPE`
appear at most once per family; names and label names are valid; label values use only
the escapes \\\\ \\" \\n; no series appears twice; histogram buckets are cumulative,
end with le="+Inf" and agree with _count; counters are never negative."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class FormatError(AssertionError):
    pass


@dataclass
class Family:
    name: str
    type: str = "untyped"
    help: str | None = None
    # (sample name, frozenset of label pairs) -> value
    samples: dict = field(default_factory=dict)


def _value(text: str, line: str) -> float:
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)", text):
        raise FormatError(f"bad value {text!r} in {line!r}")
    return float(text)


def _labels(s: str, line: str) -> tuple[dict, str]:
    """Parse `{a="x",b="y"}` at the start of s; returns (labels, rest)."""
    assert s[0] == "{"
    i, out = 1, {}
    while True:
        if s[i] == "}":
            return out, s[i + 1:]
        m = LABEL.match(s, i)
        if not m:
            raise FormatError(f"bad label name in {line!r}")
        name = m.group(0)
        i = m.end()
        if s[i:i + 2] != '="':
            raise FormatError(f"expected =\" after {name} in {line!r}")
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise FormatError(f"unterminated label value in {line!r}")
            c = s[i]
            if c == "\\":
                nxt = s[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise FormatError(f"bad escape \\{nxt} in {line!r}")
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise FormatError(f"raw newline in label value: {line!r}")
            else:
                val.append(c)
                i += 1
        if name in out:
            raise FormatError(f"label {name} twice in {line!r}")
        out[name] = "".join(val)
        if s[i] == ",":
            i += 1
        elif s[i] != "}":
            raise FormatError(f"expected , or }} in {line!r}")


def _family_of(name: str, families: dict[str, Family]) -> Family | None:
    if name in families:
        return families[name]
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix):
            f = families.get(name[: -len(suffix)])
            if f and f.type in ("histogram", "summary"):
                return f
    return None


def parse(text: str) -> dict[str, Family]:
    if text and not text.endswith("\n"):
        raise FormatError("the exposition must end with a newline")
    families: dict[str, Family] = {}
    seen_samples: set = set()
    for line in text.split("\n")[:-1]:
        if not line.strip():
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME.fullmatch(name):
                    raise FormatError(f"bad metric name in {line!r}")
                f = families.setdefault(name, Family(name))
                rest = parts[3] if len(parts) > 3 else ""
                if parts[1] == "HELP":
                    if f.help is not None:
                        raise FormatError(f"HELP twice for {name}")
                    if re.search(r"\\[^\\n]", rest.replace("\\\\", "")):
                        raise FormatError(f"bad escape in HELP: {line!r}")
                    f.help = rest.replace("\\n", "\n").replace("\\\\", "\\")
                else:
                    if rest not in TYPES:
                        raise FormatError(f"bad TYPE in {line!r}")
                    if f.samples or getattr(f, "_typed", False):
                        raise FormatError(f"TYPE for {name} twice or after its samples")
                    f.type = rest
                    f._typed = True  # type: ignore[attr-defined]
            continue
        m = NAME.match(line)
        if not m:
            raise FormatError(f"bad sample line {line!r}")
        name, rest = m.group(0), line[m.end():]
        labels: dict = {}
        if rest.startswith("{"):
            labels, rest = _labels(rest, line)
        if not rest.startswith(" "):
            raise FormatError(f"expected a space before the value in {line!r}")
        fields = rest[1:].split(" ")
        if len(fields) not in (1, 2):
            raise FormatError(f"bad value/timestamp in {line!r}")
        value = _value(fields[0], line)
        f = _family_of(name, families)
        if f is None or not getattr(f, "_typed", False):
            raise FormatError(f"sample {name} before (or without) its # TYPE line")
        key = (name, frozenset(labels.items()))
        if key in seen_samples:
            raise FormatError(f"series twice: {line!r}")
        seen_samples.add(key)
        if f.type == "counter" and value < 0:
            raise FormatError(f"negative counter {line!r}")
        f.samples[key] = value
    for f in families.values():
        if f.type == "histogram":
            _check_histogram(f)
    return families


def _check_histogram(f: Family) -> None:
    series: dict[frozenset, list] = {}
    counts: dict[frozenset, float] = {}
    sums: set = set()
    for (name, labels), v in f.samples.items():
        d = dict(labels)
        if name == f.name + "_bucket":
            if "le" not in d:
                raise FormatError(f"{name} without le")
            le = d.pop("le")
            series.setdefault(frozenset(d.items()), []).append((_value(le, le), v))
        elif name == f.name + "_count":
            counts[labels] = v
        elif name == f.name + "_sum":
            sums.add(labels)
        else:
            raise FormatError(f"{name} in histogram {f.name}")
    if set(series) != set(counts) or set(counts) != sums:
        raise FormatError(f"{f.name}: _bucket, _sum and _count series differ")
    for labels, buckets in series.items():
        buckets.sort()
        if buckets[-1][0] != math.inf:
            raise FormatError(f"{f.name}{dict(labels)}: no le=\"+Inf\" bucket")
        prev = 0.0
        for _le, v in buckets:
            if v < prev:
                raise FormatError(f"{f.name}{dict(labels)}: buckets not cumulative")
            prev = v
        if buckets[-1][1] != counts[labels]:
            raise FormatError(f"{f.name}{dict(labels)}: +Inf bucket != _count")


def value(families: dict[str, Family], name: str, **labels: str) -> float | None:
    """The value of one sample (exact label set), or None when absent."""
    f = _family_of(name, families)
    if f is None:
        return None
    return f.samples.get((name, frozenset(labels.items())))


def bucket(families: dict[str, Family], name: str, le: str, **labels: str) -> float | None:
    return value(families, name + "_bucket", le=le, **labels)
