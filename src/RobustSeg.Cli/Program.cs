using RobustSeg.Cli;

return CliRunner.Run(CliRunner.BuildRoot(), args);
