using RobustSeg.Config;
using RobustSeg.Adversarial.Training;
using RobustSeg.Engine;
using RobustSeg.Engine.IO;
using RobustSeg.Models;
using RobustSeg.Nn.IO;

if (args[0] == "probe") { Probe.Run(args); return; }
if (args[0] == "dump") { Dump.Run(args); return; }
if (args[0] == "inputgrad") { InputGrad.Run(args); return; }
// args: weights.safetensors batch.npz out.safetensors [width] [classes] [device]
// batch.npz: x (N,3,H,W) float32 in [0,1], y (N,H,W) int32. Dropout is 0 so the step is deterministic.
var (wPath, bPath, oPath) = (args[0], args[1], args[2]);
double width = args.Length > 3 ? double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 0.25;
int classes = args.Length > 4 ? int.Parse(args[4]) : 5;
var dev = Device.Get(args.Length > 5 ? args[5] : "cpu");
var model = ModelFactory.Create(new ModelConfig("psp", 18, classes, 8, false, width, 0f, 1), dev);
using (var f = SafeTensors.Load(wPath, dev)) model.LoadStateDict(f.Tensors, strict: true, sourceName: wPath);
var npz = Npy.ReadNpz(bPath);
var x = Tensor.FromArray(dev, npz["x"].ToFloat(), npz["x"].Shape).Persist();
var y = Tensor.FromArray(dev, npz["y"].ToInt(), npz["y"].Shape).Persist();
var opt = model.CreateOptimizer(0.01, 0.9, 1e-4);
var step = new TrainStep(model, opt, Regime.NoDefense, new TrainingAttack(), 0.4f, 255, 0);
var rec = step.Run(x, y, 1);
var outT = new Dictionary<string, Tensor>();
foreach (var (n, p) in model.NamedParameters())
{
    outT["grad." + n] = p.Grad!;
    outT["param." + n] = p;
}
foreach (var (n, t) in model.StateDict()) if (n.Contains("running_")) outT["buf." + n] = t;
outT["loss.main"] = Tensor.FromArray(dev, [(float)rec.MainLoss], 1);
outT["loss.aux"] = Tensor.FromArray(dev, [(float)rec.AuxLoss], 1);
SafeTensors.Save(oPath, outT);
Console.WriteLine($"main {rec.MainLoss} aux {rec.AuxLoss} total {rec.TotalLoss}");
