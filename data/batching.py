"""Length-grouped batches for training: statements of similar length share a batch, so dynamic
padding wastes little compute on a CPU, while the order stays random from epoch to epoch.

    from data.batching import build_length_grouped_batches
    batches = build_length_grouped_batches(lengths, batch_size=16, generator=torch.Generator().manual_seed(13))
"""

import torch


def build_length_grouped_batches(lengths: list[int], batch_size: int, generator: torch.Generator,
                                 pool_batches: int = 50) -> list[list[int]]:
    """Shuffle, sort by length inside pools of ``pool_batches`` batches, cut into batches, shuffle the batches."""
    order = torch.randperm(len(lengths), generator=generator).tolist()
    pool_size = batch_size * pool_batches
    batches = []
    for begin in range(0, len(order), pool_size):
        pool = sorted(order[begin : begin + pool_size], key=lambda i: lengths[i])
        batches.extend(pool[i : i + batch_size] for i in range(0, len(pool), batch_size))
    shuffled = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in shuffled]
