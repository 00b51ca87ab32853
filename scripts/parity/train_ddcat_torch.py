#!/usr/bin/python3
"""DDC-AT training of the synthetic PSPNet in PyTorch, step for step as the original (tool_train/train_ddcat_psp.py and
model/pspnet.py PSPNet_DDCAT), with the branch diagnostics our train_log.csv has. It answers one question: does the
original recipe route pixels to cls2 on the miniature, or does routing collapse as in ours?

Per iteration, as the original: model.eval(); BIM with 3 sign steps of eps/3 (eps 0.03) on CE(cls1, label, ignore 255),
clipped to the eps ball and [0,1]; mask targets = routed argmax (mask1 picks cls1 or cls2) on the clean image !=
routed argmax on the final adversary, for the first half of the batch, 0 for the second; model.train(); input =
clean first half + adversarial second half; loss = CE(routed, label, ignore 255) + CE(mask1, targets) (no ignore)
+ 0.4 CE(aux_cls1, label, ignore 255); SGD (backbone lr, heads 10x, momentum 0.9, wd 1e-4) at the poly rate set
before step k, base * (1 - k/max_iter)^0.9. Initialisation: Kaiming fan_out for the ResNet, PyTorch's default for the
context module and the heads. Dropout2d 0.1 in every head.

Prints, every --print iterations, the means since the last print of: mask_target_ones (clean half), routed_clean,
routed_adv, mask_loss and the loss of a constant prediction at the batch's target rate (H(ones / 2): the second
half's targets are all 0); then the val mIoU of cls1.
Usage: /usr/bin/python3 scripts/parity/train_ddcat_torch.py --data runs/reproduce/data --epochs 2"""
import argparse
import math
import time

import torch
import torch.nn.functional as F

import common

ap = argparse.ArgumentParser()
ap.add_argument("--data", default="runs/reproduce/data")
ap.add_argument("--epochs", type=int, default=2)
ap.add_argument("--batch", type=int, default=8)
ap.add_argument("--lr", type=float, default=0.01)
ap.add_argument("--width", type=float, default=0.25)
ap.add_argument("--classes", type=int, default=5)
ap.add_argument("--eps", type=float, default=0.03)
ap.add_argument("--steps", type=int, default=3)
ap.add_argument("--aug", default="semseg", choices=["none", "flipblur", "semseg"])
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--threads", type=int, default=1)
ap.add_argument("--print", type=int, default=10, dest="every")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)

x, y = common.load_split(a.data, "train.txt")
vx, vy = common.load_split(a.data, "val.txt")
common.gmr.WIDTH, common.gmr.CLASSES = a.width, a.classes
m = common.gmr.SegNet("psp", True)
common.kaiming_init(m, a.seed)
for n, mod in m.named_modules():
    if isinstance(mod, torch.nn.Conv2d) and not n.startswith("layer"):
        mod.reset_parameters()  # the original initialises only the ResNet
for h in (m.cls1, m.mask1, m.cls2, m.aux_cls1):
    h[3].p = 0.1
opt = torch.optim.SGD(common.param_groups(m, a.lr), lr=a.lr, momentum=0.9, weight_decay=1e-4)
norm = common.normalize


def routed_argmax(x01):
    with torch.no_grad():
        return m(norm(x01))["logits"].argmax(1)


def bim(x01, yb):
    """The original's BIM (model in eval mode): returns the adversaries and the mask targets of the whole batch."""
    m.eval()
    clean_pred = routed_argmax(x01)
    adv = x01.clone()
    for _ in range(a.steps):
        adv.requires_grad_(True)
        loss = F.cross_entropy(m(norm(adv))["cls1"], yb, ignore_index=255)
        g, = torch.autograd.grad(loss, adv)
        adv = torch.min(torch.max(adv.detach() + a.eps / a.steps * g.sign(), x01 - a.eps), x01 + a.eps).clamp(0, 1)
    targets = (routed_argmax(adv) != clean_pred).long()
    m.train()
    return adv, targets


def entropy(q):
    return 0.0 if q <= 0 or q >= 1 else -(q * math.log(q) + (1 - q) * math.log(1 - q))


gen = torch.Generator().manual_seed(a.seed)
per_epoch = len(x) // a.batch
max_iter = a.epochs * per_epoch
it = 0
t0 = time.time()
acc = dict(ones=0.0, rc=0.0, ra=0.0, mask=0.0, const=0.0, n=0)
for ep in range(a.epochs):
    m.train()
    perm = torch.randperm(len(x), generator=gen)
    for b in range(per_epoch):
        it += 1
        f = (1 - it / max_iter) ** 0.9  # the original: current_iter = epoch * len + i + 1, set before the step
        opt.param_groups[0]["lr"] = a.lr * f
        opt.param_groups[1]["lr"] = a.lr * 10 * f
        idx = perm[(b * a.batch):((b + 1) * a.batch)]
        xb, yb = common.augment(x[idx], y[idx], gen, a.aug)
        half = xb.shape[0] // 2
        adv, ind = bim(xb, yb)
        ind[half:] = 0
        out = m(norm(torch.cat([xb[:half], adv[half:]])))
        main = F.cross_entropy(out["logits"], yb, ignore_index=255)
        mask = F.cross_entropy(out["mask"], ind)
        aux = F.cross_entropy(out["aux"], yb, ignore_index=255)
        loss = main + mask + 0.4 * aux
        opt.zero_grad()
        loss.backward()
        opt.step()
        route = out["mask"].argmax(1).float()
        ones = ind[:half].float().mean().item()
        for k, v in (("ones", ones), ("rc", route[:half].mean().item()), ("ra", route[half:].mean().item()),
                     ("mask", mask.item()), ("const", entropy(ones * half / xb.shape[0]))):
            acc[k] += v
        acc["n"] += 1
        if it % a.every == 0 or it == max_iter:
            n = acc.pop("n")
            print(f"iter {it}/{max_iter} targets=1 {acc['ones'] / n:.3f} routed clean {acc['rc'] / n:.3f} adv {acc['ra'] / n:.3f} "
                  f"mask {acc['mask'] / n:.4f} constant {acc['const'] / n:.4f} main {main.item():.3f} {time.time() - t0:.0f}s", flush=True)
            acc = dict(ones=0.0, rc=0.0, ra=0.0, mask=0.0, const=0.0, n=0)


class Deployed(torch.nn.Module):
    """cls1 alone, as the original deploys a DDC-AT model (eval mode returns result_normal)."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return dict(logits=self.net(x)["cls1"])


print(f"final ({it} iterations, {time.time() - t0:.0f}s): val (cls1)", common.evaluate(Deployed(m), vx, vy, a.classes), flush=True)
