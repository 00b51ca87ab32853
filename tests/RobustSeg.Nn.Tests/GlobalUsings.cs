global using NUnit.Framework;
global using RobustSeg.Engine;
global using RobustSeg.Nn;
