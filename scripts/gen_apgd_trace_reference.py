"""Reference APGD step-size and loss traces on a fixed toy landscape
(tests/RobustSeg.Adversarial.Tests/Data/torch/apgd_trace.npz), for ApgdTraceTests.

The loop below re-writes, on float64 torch tensors of shape (N, D) instead of images, the L-inf branch of
the reference APGD bookkeeping: nmndeep/robust-segmentation semseg/utils/attacker.py `apgd_train` (the
loop SEA runs), which is auto-attack's autopgd_base.py loop: step size 2 eps; counter3 / k checkpoints
(k = max(int(.22 T), 1), then k = max(k - max(int(.03 T), 1), max(int(.06 T), 1))); check_oscillation
over a zero-initialised loss_steps buffer with Python negative indexing and `<=`; reduced_last_check
initialised to ones; on a reduction the step is halved and x and grad restart from x_best / grad_best.
The gradient comes from the attack loss, the bookkeeping from the tracked loss (SEA's track_loss).

Landscape for point j: f_j(x) = sum_d a_jd sin(w_jd x_d + p_jd) + b_j (sum_d x_d)^2 (the attack loss);
the tracked loss is f_j itself ("same") or f_j(x) + 0.3 cos(17 sum_d x_d) ("tracked").
Run: /usr/bin/python3 scripts/gen_apgd_trace_reference.py
"""
import os
import numpy as np
import torch

N, D, T, EPS = 5, 6, 100, 0.1
rng = np.random.default_rng(12)
A = rng.uniform(0.2, 1.0, (N, D))
Wf = rng.uniform(10.0, 60.0, (N, D))
P = rng.uniform(0.0, 2 * np.pi, (N, D))
B = rng.uniform(-0.5, 0.5, (N,))
B[0] = 0.0  # a pure sine landscape
A[1] *= 0.02  # nearly linear in sum(x): runs into the box corner and stalls (condition 2 matters)
B[1] = 1.0
X0 = rng.uniform(0.05, 0.95, (N, D))
X0[2, :2] = [0.0, 1.0]  # on the [0, 1] bounds, so the unit-box clip matters

a_t, w_t, p_t, b_t = (torch.from_numpy(v) for v in (A, Wf, P, B))


def f(x):
    return (a_t * torch.sin(w_t * x + p_t)).sum(1) + b_t * x.sum(1) ** 2


def grad_f(x):
    return a_t * w_t * torch.cos(w_t * x + p_t) + 2 * b_t[:, None] * x.sum(1, keepdim=True)


def track_same(x):
    return f(x)


def track_extra(x):
    return f(x) + 0.3 * torch.cos(17 * x.sum(1))


def check_oscillation(x, j, k, k3=0.75):
    t = torch.zeros(x.shape[1], dtype=x.dtype)
    for counter5 in range(k):
        t += (x[j - counter5] > x[j - counter5 - 1]).to(x.dtype)
    return (t <= k * k3 * torch.ones_like(t)).to(x.dtype)


def apgd(track, grad_fn=None, x0=X0, n_iter=T, eps=EPS):
    grad_fn = grad_fn or grad_f
    x = torch.from_numpy(x0).clone()
    n = x.shape[0]
    n_iter_2 = max(int(0.22 * n_iter), 1)
    n_iter_min = max(int(0.06 * n_iter), 1)
    size_decr = max(int(0.03 * n_iter), 1)
    k = n_iter_2 + 0
    thr_decr = .75
    step_size = 2. * eps * torch.ones([n, 1], dtype=torch.float64)
    counter3 = 0
    x_adv = x.clone()
    grad = grad_fn(x_adv)
    loss_indiv = track(x_adv)
    x_best = x_adv.clone()
    grad_best = grad.clone()
    loss_steps = torch.zeros([n_iter, n], dtype=torch.float64)
    loss_best = loss_indiv.clone()
    loss_best_last_check = loss_best.clone()
    reduced_last_check = torch.ones_like(loss_best)
    x_adv_old = x_adv.clone()
    steps_trace, loss_trace = [], []
    for i in range(n_iter):
        grad2 = x_adv - x_adv_old
        x_adv_old = x_adv.clone()
        a = 0.75 if i > 0 else 1.0
        x_adv_1 = x_adv + step_size * torch.sign(grad)
        x_adv_1 = torch.clamp(torch.min(torch.max(x_adv_1, x - eps), x + eps), 0.0, 1.0)
        x_adv_1 = torch.clamp(torch.min(torch.max(x_adv + (x_adv_1 - x_adv) * a + grad2 * (1 - a), x - eps), x + eps), 0.0, 1.0)
        x_adv = x_adv_1 + 0.
        grad = grad_fn(x_adv)
        loss_indiv = track(x_adv)

        y1 = loss_indiv.clone()
        loss_steps[i] = y1 + 0
        ind = (y1 > loss_best).nonzero().squeeze(1)
        x_best[ind] = x_adv[ind].clone()
        grad_best[ind] = grad[ind].clone()
        loss_best[ind] = y1[ind] + 0
        counter3 += 1
        if counter3 == k:
            fl_oscillation = check_oscillation(loss_steps, i, k, k3=thr_decr)
            fl_reduce_no_impr = (1. - reduced_last_check) * (loss_best_last_check >= loss_best).to(torch.float64)
            fl_oscillation = torch.max(fl_oscillation, fl_reduce_no_impr)
            reduced_last_check = fl_oscillation.clone()
            loss_best_last_check = loss_best.clone()
            if fl_oscillation.sum() > 0:
                ind_fl_osc = (fl_oscillation > 0).nonzero().squeeze(1)
                step_size[ind_fl_osc] /= 2.0
                x_adv[ind_fl_osc] = x_best[ind_fl_osc].clone()
                grad[ind_fl_osc] = grad_best[ind_fl_osc].clone()
            counter3 = 0
            k = max(k - size_decr, n_iter_min)
        steps_trace.append(step_size[:, 0].clone().numpy())
        loss_trace.append(y1.numpy())
    return np.stack(steps_trace), np.stack(loss_trace)


def schedule_only(losses, init, n_iter=T, eps=EPS):
    """The bookkeeping alone, fed a given (T, N) tracked-loss sequence (no points, no steps)."""
    n = losses.shape[1]
    n_iter_2 = max(int(0.22 * n_iter), 1)
    n_iter_min = max(int(0.06 * n_iter), 1)
    size_decr = max(int(0.03 * n_iter), 1)
    k = n_iter_2 + 0
    step_size = 2. * eps * torch.ones([n], dtype=torch.float64)
    counter3 = 0
    loss_steps = torch.zeros([n_iter, n], dtype=torch.float64)
    loss_best = torch.from_numpy(init).clone()
    loss_best_last_check = loss_best.clone()
    reduced_last_check = torch.ones_like(loss_best)
    steps_trace = []
    for i in range(n_iter):
        y1 = torch.from_numpy(losses[i]).clone()
        loss_steps[i] = y1 + 0
        ind = (y1 > loss_best).nonzero().squeeze(1)
        loss_best[ind] = y1[ind] + 0
        counter3 += 1
        if counter3 == k:
            fl_oscillation = check_oscillation(loss_steps, i, k)
            fl_reduce_no_impr = (1. - reduced_last_check) * (loss_best_last_check >= loss_best).to(torch.float64)
            fl_oscillation = torch.max(fl_oscillation, fl_reduce_no_impr)
            reduced_last_check = fl_oscillation.clone()
            loss_best_last_check = loss_best.clone()
            step_size[fl_oscillation > 0] /= 2.0
            counter3 = 0
            k = max(k - size_decr, n_iter_min)
        steps_trace.append(step_size.clone().numpy())
    return np.stack(steps_trace)


# Scripted tracked losses that sit on the rules' edges (checkpoints after iterations 21, 40, 56, 69, 79, 86, 92, 98):
it = np.arange(T, dtype=np.float64)
seq = np.zeros((T, 7))
init = np.zeros(7)
seq[:, 0] = it + 1  # always increasing: never reduced
seq[:, 1] = 3.0     # constant: reduced at every checkpoint
seq[:, 2] = it + 1  # exactly 12 of 16 increases in the window after iteration 40: `<=` reduces at 56, `<` would not
seq[45:49, 2] = seq[44, 2] - np.arange(1, 5)
seq[:, 3] = it / 100.0  # increasing but below a high start: condition 2 must not fire at the first checkpoint
init[3] = 100.0         # (reduced_last_check starts as ones), and fires at the second
seq[:, 4] = -10.0 + it  # negative start: loss[0] is compared with the buffer's last row (0), so only 16 of the
for j in (3, 7, 11, 15, 19):  # 22 comparisons in the first window count: reduced (17 if loss[0] were compared
    seq[j, 4] = seq[j - 1, 4] - 0.5  # with the start, which would not reduce)
init[4] = -20.0
seq[:, 5:] = np.random.default_rng(5).normal(0, 1, (T, 2)).cumsum(0)
init[5:] = [0.0, 1.5]
sched_steps = schedule_only(seq, init)

# A gated chain (points of D_CHAIN coordinates, all starting at 0.5): coordinate d pays off only once coordinate
# d - 1 passed the threshold, so the loss rises for many iterations and the first checkpoints do not reduce.
# f(x) = x_0 + sum_d relu(x_{d-1} - th) x_d, with the gradient written out (relu' = 0 at 0, as torch).
D_CHAIN = 40
CHAIN_TH = np.array([0.55, 0.58, 0.52])
CHAIN_X0 = np.full((len(CHAIN_TH), D_CHAIN), 0.5)
th_t = torch.from_numpy(CHAIN_TH)[:, None]


def chain_f(x):
    return x[:, 0] + (torch.relu(x[:, :-1] - th_t) * x[:, 1:]).sum(1)


def chain_grad(x):
    g = torch.zeros_like(x)
    g[:, 0] += 1
    g[:, 1:] += torch.relu(x[:, :-1] - th_t)
    g[:, :-1] += (x[:, :-1] > th_t).to(x.dtype) * x[:, 1:]
    return g


chain_steps, chain_loss = apgd(chain_f, chain_grad, CHAIN_X0)
same_steps, same_loss = apgd(track_same)
tr_steps, tr_loss = apgd(track_extra)
out = dict(a=A, w=Wf, p=P, b=B, x0=X0, eps=np.array(EPS), iterations=np.array(T),
           chain_th=CHAIN_TH, chain_x0=CHAIN_X0, chain_steps=chain_steps, chain_loss=chain_loss,
           sched_losses=seq, sched_init=init, sched_steps=sched_steps,
           same_steps=same_steps, same_loss=same_loss, tracked_steps=tr_steps, tracked_loss=tr_loss)
path = os.path.join(os.path.dirname(__file__), "..", "tests", "RobustSeg.Adversarial.Tests", "Data", "torch", "apgd_trace.npz")
np.savez(path, **out)
print("wrote", os.path.normpath(path))
for name, s in (("same", same_steps), ("tracked", tr_steps), ("scripted", sched_steps), ("chain", chain_steps)):
    print(name, "halvings per point at the end:", np.round(np.log2(2 * EPS / s[-1])).astype(int).tolist())
