global using NUnit.Framework;
global using RobustSeg.Data;
global using RobustSeg.Data.Transforms;
