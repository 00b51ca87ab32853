using RobustSeg.Engine;

namespace RobustSeg.Models.Import;

/// <summary>Builds a model and loads an original PyTorch checkpoint into it strictly (every key present,
/// none unexpected, every shape equal), optionally mapping a DDC-AT checkpoint to the plain model.</summary>
public static class PthImport
{
    /// <param name="cfg">The architecture the checkpoint must match (cfg.Ddcat: the checkpoint's key set).</param>
    /// <param name="deploy">For a DDC-AT checkpoint: return the plain model (cls1 -> cls, aux_cls1 -> aux).</param>
    public static SegmentationModel Load(string path, ModelConfig cfg, Device device, bool deploy, out Dictionary<string, string> info)
    {
        cfg.Validate();
        var sd = PthReader.ReadStateDict(path, device, out info);
        try
        {
            bool isDdcat = ModelFactory.LooksDdcat(sd.Keys);
            if (cfg.Ddcat && !isDdcat)
                throw new InvalidDataException($"{path}: expected a DDC-AT checkpoint (cls1, mask1, cls2, aux_cls1 heads) but it has the plain heads (cls, aux): drop --ddcat");
            if (!cfg.Ddcat && isDdcat)
                throw new InvalidDataException($"{path}: this is a DDC-AT checkpoint (cls1, mask1, cls2 heads): pass --ddcat (add --deploy for the plain deployed model)");
            var target = deploy ? cfg with { Ddcat = false } : cfg;
            var source = deploy && isDdcat ? ModelFactory.DeployStateDict(sd) : sd;
            var model = ModelFactory.Create(target, device);
            try { model.LoadStateDict(source, strict: true, sourceName: path); }
            catch { model.Dispose(); throw; }
            return model;
        }
        finally
        {
            foreach (var t in sd.Values) t.Dispose();
        }
    }
}
