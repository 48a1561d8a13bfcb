package io.finetune.provider.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.LocalDate;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Call logs like the bundled example's: a voicemail or call note without a year, answered {@code
 * {"caller": ..., "callback_date": ..., "reason": ...}}. Training and held-out logs draw their
 * callers' first names from different halves of the list, so that a model must find names it never
 * saw.
 */
final class CallLogs {
  private static final ObjectMapper JSON = new ObjectMapper();
  // Training callers' first names, then held-out ones.
  private static final String[] FIRST = {
    "Dana",
    "Marcus",
    "Priya",
    "Anne-Marie",
    "Tomás",
    "Keiko",
    "Olu",
    "Grace",
    "Hamid",
    "Lena",
    "Mei",
    "Rafael",
    "Ingrid",
    "Kwame",
    "Sofia",
    "Jean-Luc",
    "Dmitri",
    "Aisha",
    "Connor",
    "Yuki",
    "Beatriz",
    "Farid",
    "Helga",
    "Nikhil",
    "Rosa",
    "Sven",
    "Tamsin",
    "Usha",
    "Viktor",
    "Zara"
  };
  private static final String[] LAST = {
    "Whitfield", "O'Neil", "Okafor", "Smith-Jones", "McAllister", "D'Souza", "Nguyen", "Larsen",
    "Haddad", "Kowalski", "Brennan", "Castillo", "Fitzgerald", "Iyer", "Moreau", "Van Dijk"
  };
  private static final String[][] REASONS = {
    {"billing", "my refund", "an invoice question", "a double charge on my card"},
    {"shipping", "a late delivery", "my package", "a missing parcel"},
    {"account", "a password reset", "logging in to my account", "my profile settings"},
    {"technical", "an error in the app", "a crash on startup", "the sync bug"},
  };
  private static final String[] TEMPLATES = {
    "Voicemail from {name}: please call me back on {date} about {about}.",
    "{name} called. Wants a callback {date} re: {about}.",
    "Missed call from {name}. Asked us to ring back on {date} regarding {about}.",
    "Call log - caller: {name}; callback requested for {date}; topic: {about}.",
    "Hi, it's {name} again. Could someone call me {date}? It's about {about}.",
    "Message for support: {name} needs a call back on {date} to discuss {about}.",
    "{company} - {name} called, please return the call {date} about {about}.",
    "Voicemail from {name} at {company}: call back on {date}, it's about {about}.",
  };
  private static final String[] COMPANIES = {
    "Acme Logistics", "Blue Harbor Foods", "Northwind Traders", "Kessler & Sons", "Orbit Media"
  };

  private CallLogs() {}

  /**
   * {@code n} logs of {@code year}; {@code heldOut} draws first names from the list's second half.
   */
  static List<FineTunedModel.Example> generate(int n, int year, boolean heldOut, long seed) {
    Random r = new Random(seed);
    List<FineTunedModel.Example> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int half = FIRST.length / 2;
      String first = FIRST[(heldOut ? half : 0) + r.nextInt(half)];
      String name = first + " " + LAST[r.nextInt(LAST.length)];
      LocalDate date = LocalDate.of(year, 1, 1).plusDays(r.nextInt(365));
      String[] reason = REASONS[r.nextInt(REASONS.length)];
      String text =
          TEMPLATES[r.nextInt(TEMPLATES.length)]
              .replace("{name}", name)
              .replace("{company}", COMPANIES[r.nextInt(COMPANIES.length)])
              .replace("{date}", written(date, r))
              .replace("{about}", reason[1 + r.nextInt(reason.length - 1)]);
      String answer =
          JSON.createObjectNode()
              .put("caller", name)
              .put("callback_date", date.toString())
              .put("reason", reason[0])
              .toString();
      out.add(new FineTunedModel.Example(text, answer));
    }
    return out;
  }

  /** The date as people write it in a note, without its year. */
  static String written(LocalDate d, Random r) {
    String month = d.getMonth().getDisplayName(TextStyle.FULL, Locale.US);
    String mon = d.getMonth().getDisplayName(TextStyle.SHORT, Locale.US);
    String dow = d.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US);
    String weekday = d.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US);
    int day = d.getDayOfMonth();
    int m = d.getMonthValue();
    return switch (r.nextInt(7)) {
      case 0 -> month + " " + day;
      case 1 -> mon + " " + day;
      case 2 -> m + "/" + day;
      case 3 -> dow + " " + m + "/" + day;
      case 4 -> day + " " + month;
      case 5 -> weekday + ", " + month + " " + day + ordinal(day);
      default -> "the " + day + ordinal(day) + " of " + month;
    };
  }

  private static String ordinal(int day) {
    if (day % 100 >= 11 && day % 100 <= 13) {
      return "th";
    }
    return switch (day % 10) {
      case 1 -> "st";
      case 2 -> "nd";
      case 3 -> "rd";
      default -> "th";
    };
  }
}
