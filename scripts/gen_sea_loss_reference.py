"""Reference per-pixel values and logit gradients of SEA's losses and both CosPGD weightings
(tests/RobustSeg.Adversarial.Tests/Data/torch/sea_losses.npz), for SeaLossTests.

The losses are written here after nmndeep/robust-segmentation semseg/utils/attacker.py (ignore label -1
there; the stored labels use 255): masked CE, the SegPGD loss (lambda = t / (2 max_t)), the JS divergence
(F.kl_div as the reference, not our closed form), the normalised correct-logit loss masked (Mask-Sph) and
unmasked (its tracking loss), CosPGD with the sigmoid (Croce et al.) and the softmax (the official cospgd
package's cospgd_scale). Gradients are d sum(map) / d logits.
Run: /usr/bin/python3 scripts/gen_sea_loss_reference.py
"""
import os
import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(21)
N, K, H, W = 2, 5, 4, 5
logits = (rng.normal(0, 2.5, (N, K, H, W))).astype(np.float32)
lab = logits.argmax(1).copy()
flip = rng.uniform(0, 1, lab.shape) < 0.4
lab[flip] = rng.integers(0, K, lab.shape)[flip]  # some wrong pixels (and some that stay right by chance)
lab.reshape(-1)[::6] = -1
labels = torch.from_numpy(lab).long()
valid = (labels != -1)
SEG_T, SEG_MAX = 3, 10


def onehot(y):
    y0 = y * valid.long()
    return F.one_hot(y0, K).permute(0, 3, 1, 2).float()


def masked_ce(z):
    mask = (z.max(1)[1] == labels) & valid
    return mask.float().detach() * F.cross_entropy(z, labels, reduction='none', ignore_index=-1)


def segpgd(z):
    lmbd = SEG_T / 2 / SEG_MAX
    corr = (z.max(1)[1] == labels).float().detach()
    ce = F.cross_entropy(z, labels, reduction='none', ignore_index=-1)
    return (1 - lmbd) * corr * ce + lmbd * (1 - corr) * ce


def js(z):
    p = F.softmax(z, 1)
    q = onehot(labels)
    m = (p + q) / 2
    loss = (F.kl_div(m.log(), p, reduction='none') + F.kl_div(m.log(), q, reduction='none')) / 2
    return (valid.long().unsqueeze(1) * loss).sum(1)


def norm_corrlog(z, masked):
    zn = z / (z ** 2).sum(1, keepdim=True).sqrt()
    loss = -(onehot(labels) * zn).sum(1) * valid.long()
    if masked:
        loss = (zn.max(1)[1] == labels).float().detach() * loss
    return loss


def cospgd(z, sigmoid):
    s = torch.sigmoid(z) if sigmoid else F.softmax(z, 1)
    w = F.cosine_similarity(s, onehot(labels)) * valid.long()
    return w.detach() * F.cross_entropy(z, labels, reduction='none', ignore_index=-1)


losses = {
    'masked-ce': masked_ce, 'segpgd': segpgd, 'js': js,
    'mask-sph': lambda z: norm_corrlog(z, True), 'norm-corrlog': lambda z: norm_corrlog(z, False),
    'cospgd-sigmoid': lambda z: cospgd(z, True), 'cospgd': lambda z: cospgd(z, False),
}
out = dict(logits=logits, labels=np.where(lab == -1, 255, lab).astype(np.int32),
           segpgd_t=np.array(SEG_T), segpgd_max=np.array(SEG_MAX))
for name, fn in losses.items():
    z = torch.from_numpy(logits).clone().requires_grad_(True)
    m = fn(z)
    g, = torch.autograd.grad(m.sum(), z)
    out[name + '_map'] = m.detach().numpy()
    out[name + '_grad'] = g.numpy()
path = os.path.join(os.path.dirname(__file__), "..", "tests", "RobustSeg.Adversarial.Tests", "Data", "torch", "sea_losses.npz")
np.savez(path, **out)
print("wrote", os.path.normpath(path), "correct valid pixels:", int(((logits.argmax(1) == lab) & (lab != -1)).sum()), "of", int((lab != -1).sum()))
