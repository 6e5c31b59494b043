using System.Text;

namespace Unified.Core.Logging.Csv;

/// <summary>Reads a CSV file as Python's <c>csv</c> module writes it (quotes only where needed, doubled embedded quotes, CRLF or LF rows).</summary>
internal static class CsvTable
{
    /// <summary>The header and the rows of <paramref name="path"/>, each row by column name (short rows leave cells out).</summary>
    /// <exception cref="InvalidDataException">A quoted cell is not closed.</exception>
    public static (List<string> Header, List<Dictionary<string, string>> Rows) Read(string path)
    {
        var records = Records(File.ReadAllText(path, Encoding.UTF8), path).ToList();
        if (records.Count == 0) return ([], []);
        var header = records[0];
        var rows = records.Skip(1).Select(cells =>
        {
            var row = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < Math.Min(cells.Count, header.Count); i++) row[header[i]] = cells[i];
            return row;
        }).ToList();
        return (header, rows);
    }

    static IEnumerable<List<string>> Records(string text, string path)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        bool quoted = false, any = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c != '"') cell.Append(c);
                else if (i + 1 < text.Length && text[i + 1] == '"') cell.Append(text[++i]);
                else quoted = false;
                continue;
            }
            switch (c)
            {
                case '"':
                    quoted = any = true;
                    break;
                case ',':
                    cells.Add(cell.ToString());
                    cell.Clear();
                    any = true;
                    break;
                case '\r' or '\n':
                    if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n') i++;
                    cells.Add(cell.ToString());
                    cell.Clear();
                    yield return cells;
                    cells = [];
                    any = false;
                    break;
                default:
                    cell.Append(c);
                    any = true;
                    break;
            }
        }
        if (quoted) throw new InvalidDataException($"'{path}' ends inside a quoted cell: the file is damaged.");
        if (any || cells.Count > 0)
        {
            cells.Add(cell.ToString());
            yield return cells;
        }
    }
}
