"""GPT-2's byte -> printable unicode character map, shared by the fixture builders in tools/."""


def bytes_to_unicode() -> dict[int, str]:
    """The byte-level BPE alphabet: each byte as a printable character (GPT-2's table)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(
        range(ord("\xae"), ord("\xff") + 1)
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}
