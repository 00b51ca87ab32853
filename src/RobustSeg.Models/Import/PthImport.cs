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
        var (file, refs) = PthReader.ReadRefs(path, out info);
        using (file)
        {
            bool isDdcat = ModelFactory.LooksDdcat(refs.Keys);
            if (cfg.Ddcat && !isDdcat)
                throw new InvalidDataException($"{path}: expected a DDC-AT checkpoint (cls1, mask1, cls2, aux_cls1 heads) but it has the plain heads (cls, aux): drop --ddcat");
            if (!cfg.Ddcat && isDdcat)
                throw new InvalidDataException($"{path}: this is a DDC-AT checkpoint (cls1, mask1, cls2 heads): pass --ddcat (add --deploy for the plain deployed model)");
            var target = deploy ? cfg with { Ddcat = false } : cfg;
            var source = deploy && isDdcat ? ModelFactory.DeployStateDict(refs) : refs;
            // Names and shapes first, from the pickle alone: nothing is allocated for a file that does not fit.
            ModelFactory.CheckTable(target, source.ToDictionary(kv => kv.Key, kv => kv.Value.Size), path, device);
            var sd = PthReader.Materialize(file, source, device);
            try
            {
                var model = ModelFactory.Create(target, device);
                try { model.LoadStateDict(sd, strict: true, sourceName: path); }
                catch { model.Dispose(); throw; }
                return model;
            }
            finally
            {
                foreach (var t in sd.Values) t.Dispose();
            }
        }
    }
}
