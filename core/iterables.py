"""Small helpers over iterables (Python 3.11 has no itertools.batched)."""


def chunks(items, size: int):
    """Lists of up to `size` consecutive items of any iterable, read lazily."""
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
