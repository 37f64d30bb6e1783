"""Each pooling pinned to values computed by hand on tiny tensors, with padding on either side."""

import pytest
import torch

from embedlab.errors import EmbedlabError
from embedlab.encoders import cls_pool, last_token_pool, max_pool, mean_pool, pool

# Row 0 is right-padded (real tokens at 0, 1), row 1 left-padded (real tokens at 1, 2).
# Pad states are extreme (100 / -100) so any leak into a result is obvious.
HIDDEN = torch.tensor(
    [
        [[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]],
        [[100.0, -100.0], [5.0, 0.0], [1.0, 6.0]],
    ]
)
MASK = torch.tensor([[1, 1, 0], [0, 1, 1]])


def test_cls_is_the_first_real_token_on_either_side():
    assert torch.equal(cls_pool(HIDDEN, MASK), torch.tensor([[1.0, 2.0], [5.0, 0.0]]))


def test_mean_ignores_padding():
    # row 0: ([1,2] + [3,4]) / 2; row 1: ([5,0] + [1,6]) / 2
    assert torch.equal(mean_pool(HIDDEN, MASK), torch.tensor([[2.0, 3.0], [3.0, 3.0]]))


def test_mean_without_bos_drops_the_first_real_token():
    # left padding: the BOS is at position 1, not 0
    assert torch.equal(mean_pool(HIDDEN, MASK, skip_bos=True), torch.tensor([[3.0, 4.0], [1.0, 6.0]]))


def test_mean_without_bos_keeps_a_lone_bos():
    hidden = torch.tensor([[[2.0, -2.0], [9.0, 9.0]]])
    mask = torch.tensor([[1, 0]])
    assert torch.equal(mean_pool(hidden, mask, skip_bos=True), torch.tensor([[2.0, -2.0]]))


def test_max_ignores_padding():
    assert torch.equal(max_pool(HIDDEN, MASK), torch.tensor([[3.0, 4.0], [5.0, 6.0]]))


def test_max_of_negative_states_is_not_the_pad_zero():
    hidden = torch.tensor([[[-1.0, -5.0], [-3.0, -2.0], [0.0, 0.0]]])
    assert torch.equal(max_pool(hidden, torch.tensor([[1, 1, 0]])), torch.tensor([[-1.0, -2.0]]))


def test_last_token_on_either_side():
    assert torch.equal(last_token_pool(HIDDEN, MASK), torch.tensor([[3.0, 4.0], [1.0, 6.0]]))


def test_last_token_of_an_unpadded_single_token_row():
    hidden = torch.tensor([[[7.0], [8.0]], [[4.0], [0.0]]])
    assert torch.equal(last_token_pool(hidden, torch.tensor([[1, 1], [1, 0]])), torch.tensor([[8.0], [4.0]]))


def test_all_pad_row_gives_zeros_for_mean_and_max():
    hidden = torch.tensor([[[3.0, -3.0]]])
    mask = torch.tensor([[0]])
    assert torch.equal(mean_pool(hidden, mask), torch.zeros(1, 2))
    assert torch.equal(max_pool(hidden, mask), torch.zeros(1, 2))


@pytest.mark.parametrize(("name", "expected"), [("cls", [[1.0, 2.0], [5.0, 0.0]]), ("mean", [[3.0, 4.0], [1.0, 6.0]]),
                                                ("max", [[3.0, 4.0], [5.0, 6.0]]), ("last", [[3.0, 4.0], [1.0, 6.0]])])
def test_dispatch_by_name(name, expected):
    # skip_bos only changes mean
    assert torch.equal(pool(name, HIDDEN, MASK, skip_bos=True), torch.tensor(expected))


def test_unknown_pooling_names_the_choices():
    with pytest.raises(EmbedlabError, match=r"unknown pooling 'sum' \(fix: use one of: cls, mean, max, last\)"):
        pool("sum", HIDDEN, MASK)


def test_mask_of_the_wrong_shape_is_refused():
    with pytest.raises(EmbedlabError, match="does not match"):
        mean_pool(HIDDEN, MASK[:, :2])
