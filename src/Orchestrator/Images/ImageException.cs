namespace Appliance.Orchestrator.Images;

/// <summary>Base of every error the image client and store raise; the message says what, where and how to fix it.</summary>
public abstract class ImageException : Exception
{
    protected ImageException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
