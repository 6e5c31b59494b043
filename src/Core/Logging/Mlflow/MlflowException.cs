namespace Unified.Core.Logging.Mlflow;

/// <summary>The MLflow tracking server could not be reached or refused a request that the logger cannot do without.</summary>
public sealed class MlflowException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    public MlflowException(string message) : base(message) { }

    /// <summary>Creates the exception with its message and cause.</summary>
    public MlflowException(string message, Exception? innerException) : base(message, innerException) { }
}
