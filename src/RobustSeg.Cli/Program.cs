using System.CommandLine;
using System.Reflection;
using RobustSeg.Cli;

var root = new RootCommand("RobustSeg: robust semantic segmentation (PSPNet/DeepLabV3, SAT, DDC-AT) on a C#/ILGPU tensor engine");
foreach (var t in Assembly.GetExecutingAssembly().GetTypes()
             .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && !t.IsAbstract && !t.IsInterface)
             .OrderBy(t => t.Name))
    root.Subcommands.Add(((ICliCommand)Activator.CreateInstance(t)!).Build());
return CliRunner.Run(root, args);
