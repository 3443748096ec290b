using ImageStash.Cli;

return ImageStashApp.Run(args);
