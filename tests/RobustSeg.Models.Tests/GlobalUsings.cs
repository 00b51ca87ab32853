global using NUnit.Framework;
global using RobustSeg.Engine;
global using RobustSeg.Models;
global using RobustSeg.Nn;
