using Appliance.Web.Cli;

return await ApplianceCli.RunAsync(args);
