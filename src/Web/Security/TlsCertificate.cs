using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Appliance.Web.Security;

/// <summary>
/// The daemon's self-signed TLS certificate (ECDSA P-256, 5 years), created at first start in
/// <c>STATE_DIR/tls/appliance.pfx</c> (mode 0600) for localhost, the host name and the loopback addresses.
/// </summary>
public static class TlsCertificate
{
    public static X509Certificate2 LoadOrCreate(string stateDir)
    {
        string dir = Path.Combine(stateDir, "tls");
        string path = Path.Combine(dir, "appliance.pfx");
        if (File.Exists(path))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
        }
        Directory.CreateDirectory(dir);
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string host = Dns.GetHostName();
        var request = new CertificateRequest($"CN={host}, O=Appliance (self-signed)", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName(host);
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 created = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(5));
        byte[] pfx = created.Export(X509ContentType.Pfx);
        using (var stream = new FileStream(path, PrivateFile(FileMode.CreateNew)))
        {
            stream.Write(pfx);
            stream.Flush(flushToDisk: true);
        }
        return X509CertificateLoader.LoadPkcs12(pfx, password: null);
    }

    private static FileStreamOptions PrivateFile(FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        return options;
    }
}
