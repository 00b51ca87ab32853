global using NUnit.Framework;
global using RobustSeg.Engine;
