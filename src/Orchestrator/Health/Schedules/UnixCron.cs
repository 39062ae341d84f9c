using System.Globalization;

namespace Appliance.Orchestrator.Health.Schedules;

/// <summary>
/// Converts the stack file's 5-field cron (minute hour day-of-month month day-of-week; 0 and 7 are Sunday) to Quartz's
/// form (seconds first, day-of-week 1-7 from Sunday, and '?' in one of the two day fields). When both day fields are
/// restricted, Unix cron fires when either matches; Quartz cannot say that, so the day-of-week wins and that is stated here.
/// </summary>
public static class UnixCron
{
    public static string ToQuartz(string cron)
    {
        string[] f = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (f.Length != 5)
        {
            throw new FormatException($"'{cron}' has {f.Length} fields; a schedule's cron has 5: minute hour day-of-month month day-of-week, e.g. \"0 3 * * *\"");
        }
        string dayOfMonth = f[2];
        string dayOfWeek = f[4] == "*" ? "?" : DayOfWeek(f[4]);
        if (dayOfWeek != "?")
        {
            dayOfMonth = "?";
        }
        return $"0 {f[0]} {f[1]} {dayOfMonth} {f[3]} {dayOfWeek}";
    }

    private static string DayOfWeek(string field) => string.Join(',', field.Split(',').Select(part =>
    {
        string range = part;
        string step = "";
        int slash = part.IndexOf('/');
        if (slash >= 0)
        {
            range = part[..slash];
            step = part[slash..];
        }
        if (range == "*")
        {
            return "1-7" + step;
        }
        return string.Join('-', range.Split('-').Select(n => ((int.Parse(n, CultureInfo.InvariantCulture) % 7) + 1).ToString(CultureInfo.InvariantCulture))) + step;
    }));
}
